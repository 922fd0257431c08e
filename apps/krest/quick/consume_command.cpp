// krest consume: COUNT records of one partition from an offset, then the offset to continue from.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/run_command.hpp"
#include "cli/start_offset.hpp"
#include "cli/usage_error.hpp"
#include "krest/consumer.hpp"
#include "quick/quick_commands.hpp"
#include "tail/record_output.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace krest::cli {
namespace {

asio::awaitable<int> consume(Client& client, const ConsumeOptions& o) {
  RecordOutput output(o.format);
  ConsumerOptions options;
  options.fetch_records = static_cast<std::int32_t>(std::min<std::int64_t>(o.count, 10000));
  options.window = 1;
  options.give_up_after = std::chrono::seconds(30);
  Consumer consumer(client, options);
  const StartAt start = parse_start(o.offset, "--offset");
  co_await consumer.assign(o.topic, static_cast<std::int32_t>(o.partition), start);
  std::int64_t printed = 0;
  std::int64_t next = start.kind == StartAt::Kind::offset ? start.offset : -1;
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
  if (next < 0)
    for (const auto& p : consumer.positions()) next = p.next_offset;
  std::fprintf(stderr, "krest consume: %lld record(s); next offset %lld\n", static_cast<long long>(printed),
               static_cast<long long>(next));
  co_return kExitOk;
}

}  // namespace

CLI::App* add_consume_command(CLI::App& root, ConsumeOptions& o, ConnectionProfile& profile) {
  auto* app = root.add_subcommand("consume", "Print up to COUNT records of one partition from an offset");
  app->add_option("-t,--topic", o.topic, "the topic")->required();
  app->add_option("-p,--partition", o.partition, "the partition")->check(CLI::Range(0, INT32_MAX))->capture_default_str();
  app->add_option("-o,--offset", o.offset, "earliest, latest, or an offset")->capture_default_str();
  app->add_option("-c,--count", o.count, "records at most")->check(CLI::Range(std::int64_t{1}, INT64_MAX))->capture_default_str();
  app->add_option("-f,--format", o.format, "ndjson, value, or a kcat-style format string (see krest tail --help)")
      ->capture_default_str();
  add_connection_options(*app, profile);
  return app;
}

int run_consume(const ConnectionProfile& profile, const ConsumeOptions& o) {
  try {
    RecordOutput check(o.format);
    parse_start(o.offset, "--offset");
    auto options = client_options(profile);
    return run_command("consume", options, [&o](Client& client, StopRequest&) { return consume(client, o); });
  } catch (...) {
    return report_failure("consume", std::current_exception());
  }
}

}  // namespace krest::cli
