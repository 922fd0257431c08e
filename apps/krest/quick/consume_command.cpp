// krest consume: COUNT records of one partition from an offset, then the offset to continue from.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/run_command.hpp"
#include "cli/start_offset.hpp"
#include "cli/usage_error.hpp"
#include "krest/admin.hpp"
#include "krest/consumer.hpp"
#include "cli/subcommand.hpp"
#include "quick/quick_commands.hpp"
#include "cli/record_output.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace krest::cli {
namespace {

// While it lives, a Ctrl-C or SIGTERM closes the consumer: poll() then returns nothing, and what
// was printed is followed by the offset to continue from, as at the end of the records.
class CloseOnStop {
 public:
  CloseOnStop(StopRequest& stop, Consumer& consumer) : stop_(stop) {
    stop_.on_request = [&consumer] { consumer.close(); };
    if (stop_.requested) consumer.close();  // interrupted while the partition was described
  }
  ~CloseOnStop() { stop_.on_request = nullptr; }
  CloseOnStop(const CloseOnStop&) = delete;
  CloseOnStop& operator=(const CloseOnStop&) = delete;

 private:
  StopRequest& stop_;
};

asio::awaitable<int> consume(Client& client, const ConsumeOptions& o, StopRequest& stop) {
  RecordOutput output(o.format);
  ConsumerOptions options;
  options.fetch_records = static_cast<std::int32_t>(std::min<std::int64_t>(o.count, 10000));
  options.window = 1;
  options.give_up_after = std::chrono::seconds(30);
  const auto partition = static_cast<std::int32_t>(o.partition);
  const StartSpec spec = parse_start(o.offset, "--offset");
  // The partition's offsets first: an offset past its end is said to be, with where the end is.
  const std::string what = o.topic + "/" + std::to_string(partition);
  const auto info = co_await Admin(client).describe_partition(o.topic, partition);
  const auto placed = place_start(spec, info.earliest_offset, info.latest_offset, what);
  if (spec.kind == StartSpec::Kind::offset && spec.n > info.latest_offset) {
    std::fprintf(stderr, "krest consume: %s: nothing to print\n", placed.note.c_str());
    co_return kExitOk;
  }
  if (!placed.note.empty()) std::fprintf(stderr, "krest consume: %s; starting there\n", placed.note.c_str());
  Consumer consumer(client, options);
  const CloseOnStop close_on_stop(stop, consumer);
  co_await consumer.assign(o.topic, partition, StartAt::at(placed.offset));
  std::int64_t printed = 0;
  std::int64_t next = placed.offset;
  std::string text;
  while (printed < o.count) {
    std::optional<RecordBatch> batch;
    batch = co_await consumer.poll(5s);
    if (!batch) break;
    if (batch->records.empty()) continue;  // nothing within the wait; not at the end yet
    text.clear();
    printed += static_cast<std::int64_t>(
        output.append_batch(text, *batch, static_cast<std::uint64_t>(o.count - printed), next));
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::fflush(stdout);
  std::fprintf(stderr, "krest consume: %s%lld record(s); next offset %lld\n", stop.requested ? "interrupted: " : "",
               static_cast<long long>(printed), static_cast<long long>(next));
  co_return kExitOk;
}

}  // namespace

Subcommand consume_subcommand() {
  auto o = std::make_shared<ConsumeOptions>();
  Subcommand s{"consume", "Print up to COUNT records of one partition from an offset"};
  s.define = [o](CLI::App& app) -> std::vector<CLI::App*> {
    app.add_option("-t,--topic", o->topic, "the topic")->required();
    app.add_option("-p,--partition", o->partition, "the partition")->check(CLI::Range(0, INT32_MAX));
    app.add_option("-o,--offset", o->offset,
                   "where to start: beginning|earliest, end|latest, an offset, or -N (N before the end)");
    app.add_option("-c,--count", o->count, "records at most")->check(CLI::Range(std::int64_t{1}, INT64_MAX));
    app.add_option("-f,--format", o->format, "ndjson, value, or a kcat-style format string (see krest tail --help)");
    app.footer("Examples:\n"
               "  krest consume -t events                      # the first 10 records of partition 0\n"
               "  krest consume -t events -p 2 -o -5           # the last 5 records of partition 2\n"
               "  krest consume -t events -o 1200 -c 100 -f '%o %s\\n'");
    return {&app};
  };
  s.check = [o] {
    require_topic_name(o->topic);
    RecordOutput check(o->format);
    parse_start(o->offset, "--offset");
  };
  s.command = [o](Client& client, StopRequest& stop) { return consume(client, *o, stop); };
  return s;
}

}  // namespace krest::cli
