// krest tail --topic T: follows a topic's partitions and writes their records out, for as long as
// it runs; with --checkpoint, a restart continues exactly where the output stopped.
#include "tail/tail_command.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/atomic_file.hpp"
#include "cli/concurrency_option.hpp"
#include "cli/run_command.hpp"
#include "cli/start_offset.hpp"
#include "cli/subcommand.hpp"
#include "cli/terminal_status.hpp"
#include "cli/usage_error.hpp"
#include "krest/admin.hpp"
#include "krest/consumer.hpp"
#include "metrics/prometheus.hpp"
#include "tail/metrics_endpoint.hpp"
#include "tail/output_sink.hpp"
#include "cli/record_output.hpp"
#include "tail/tail_checkpoint.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace krest::cli {
namespace {

// What the stats line and the metrics endpoint read while the tail runs.
struct TailProgress {
  explicit TailProgress(asio::any_io_executor ex) : timer(std::move(ex)) {}
  std::uint64_t written = 0;
  std::map<std::int32_t, std::int64_t> next_offsets;  // after the last record written, per partition
  std::optional<std::int64_t> lag;                    // records behind the partitions' ends, last measured
  std::string lag_problem;                            // why the last measure failed
  asio::steady_timer timer;
  bool stopped = false;
};

// Measures the lag now: the partitions' ends against where the tail stands in each.
asio::awaitable<void> measure_lag(Admin& admin, Consumer& consumer, const std::string& topic, TailProgress& progress) {
  try {
    auto partitions = co_await admin.describe_topic(topic);
    // The tail may have ended while the answer was on its way, and its consumer with it.
    if (progress.stopped) co_return;
    std::map<std::int32_t, std::int64_t> at;
    for (const auto& p : consumer.positions()) at[p.partition] = p.next_offset;
    for (const auto& [p, next] : progress.next_offsets) at[p] = next;
    std::int64_t total = 0;
    for (const auto& p : partitions)
      if (auto it = at.find(p.partition); it != at.end()) total += std::max<std::int64_t>(0, p.latest_offset - it->second);
    progress.lag = total;
    progress.lag_problem.clear();
  } catch (const Error& e) {
    progress.lag_problem = e.what();
  }
}

// Every `every`: the lag measured (for the metrics too) and, when asked, a stats line on stderr.
asio::awaitable<void> watch(Client& client, Consumer& consumer, const std::string& topic,
                            std::shared_ptr<TailProgress> progress, std::chrono::milliseconds every, bool print) {
  Admin admin(client);
  auto last = Clock::now();
  std::uint64_t last_written = 0;
  co_await measure_lag(admin, consumer, topic, *progress);  // the lag is there from the start
  while (!progress->stopped) {
    progress->timer.expires_after(every);
    co_await progress->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (progress->stopped) co_return;
    co_await measure_lag(admin, consumer, topic, *progress);
    if (progress->stopped) co_return;
    if (!print) continue;
    const std::string lag = !progress->lag_problem.empty() ? "lag unknown (" + progress->lag_problem + ")"
                            : progress->lag ? "lag " + with_thousands(static_cast<std::uint64_t>(*progress->lag)) +
                                                  " over " + std::to_string(consumer.positions().size()) + " partition(s)"
                                            : std::string("lag unknown");
    const auto now = Clock::now();
    double seconds = std::chrono::duration<double>(now - last).count();
    auto rate = seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(progress->written - last_written) / seconds) : 0;
    std::fprintf(stderr, "krest tail: '%s' %s records written (%s/s), %s\n", topic.c_str(),
                 with_thousands(progress->written).c_str(), with_thousands(rate).c_str(), lag.c_str());
    last = now;
    last_written = progress->written;
  }
}

// The metrics page: the engine's, and the tail's own, in Prometheus' conventions.
std::string metrics_page(const Client& client, const TailProgress& progress) {
  std::string page = client.metrics_text("krest_");
  metrics::append_counter(page, "krest_tail_records_written_total", "Records written out.",
                          static_cast<double>(progress.written));
  if (progress.lag)
    metrics::append_gauge(page, "krest_tail_lag_records", "Records behind the partitions' ends, measured lately.",
                          static_cast<double>(*progress.lag));
  return page;
}

void save_checkpoint(const TailOptions& o, Consumer& consumer, OutputSink& sink, TailProgress& progress) {
  if (o.checkpoint.empty()) return;
  TailCheckpoint c;
  c.topic = o.topic;
  // Partitions nothing was written for yet keep their start; the rest are where the output stops.
  for (const auto& p : consumer.positions()) c.next_offsets[p.partition] = p.next_offset;
  for (const auto& [p, next] : progress.next_offsets) c.next_offsets[p] = next;
  if (sink.is_file()) {
    sink.sync();  // the file holds everything the offsets say was written before they are saved
    c.output = sink.path();
    c.output_bytes = sink.bytes();
  }
  write_file_atomically(o.checkpoint, to_json(c));
}

// The loop: batches written out as they come, the checkpoint saved as it goes, until the end
// (--exit-at-end, --max), a stop, or a reader of stdout that went away.
asio::awaitable<void> write_out(Consumer& consumer, const RecordOutput& output, OutputSink& sink,
                                const TailOptions& o, TailProgress& progress) {
  std::string buffer;
  auto last_save = Clock::now();
  const auto save_every = std::chrono::milliseconds(o.checkpoint_interval_ms);
  const auto max = static_cast<std::uint64_t>(std::max<std::int64_t>(o.max_records, 0));
  for (;;) {
    std::optional<RecordBatch> batch;
    batch = co_await consumer.poll(500ms);
    if (!batch) break;
    if (!batch->records.empty()) {
      buffer.clear();
      progress.written += output.append_batch(buffer, *batch, max > 0 ? max - progress.written : 0,
                                              progress.next_offsets[batch->partition]);
      const bool reached_max = max > 0 && progress.written >= max;
      consumer.recycle(std::move(*batch));  // written out: its memory serves the next records
      if (!sink.write(buffer)) break;       // the reader of stdout went away
      if (reached_max) break;
    } else if (sink.reader_gone()) {
      break;  // idle, and no one reads what would come
    }
    if (!o.checkpoint.empty() && Clock::now() - last_save >= save_every) {
      save_checkpoint(o, consumer, sink, progress);
      last_save = Clock::now();
    }
  }
}

// The checkpoint, when one is given and exists, checked against this tail.
std::optional<TailCheckpoint> read_saved(const TailOptions& o) {
  std::string text;
  if (o.checkpoint.empty() || !read_file_if_exists(o.checkpoint, text)) return std::nullopt;
  auto saved = parse_tail_checkpoint(text, o.checkpoint);
  if (saved.topic != o.topic) throw UsageError("checkpoint '" + o.checkpoint + "' is for topic '" + saved.topic + "'");
  return saved;
}

// Every partition assigned where it starts: the checkpoint's position, else --from, placed against
// the partition's offsets when it names one (an offset past the end starts at the end, and says
// so). Partitions added later start from their beginning.
asio::awaitable<void> start_partitions(Client& client, Consumer& consumer, const TailOptions& o,
                                       const std::optional<TailCheckpoint>& saved) {
  const StartSpec from = parse_start(o.from, "--from");
  std::map<std::int32_t, std::int64_t> starts;
  if (saved) starts = saved->next_offsets;
  if (from.needs_offsets()) {
    for (const auto& p : co_await Admin(client).describe_topic(o.topic)) {
      const bool wanted = o.partitions.empty() ||
                          std::find(o.partitions.begin(), o.partitions.end(), p.partition) != o.partitions.end();
      if (!wanted || starts.count(p.partition)) continue;
      const auto placed =
          place_start(from, p.earliest_offset, p.latest_offset, o.topic + "/" + std::to_string(p.partition));
      if (!placed.note.empty()) std::fprintf(stderr, "krest tail: %s: starting there\n", placed.note.c_str());
      starts[p.partition] = placed.offset;
    }
  }
  if (o.partitions.empty()) {
    for (const auto& [partition, next] : starts) co_await consumer.assign(o.topic, partition, StartAt::at(next));
    // A partition neither the checkpoint nor --from placed: one added since, from its beginning.
    co_await consumer.subscribe(o.topic, saved || from.needs_offsets() ? StartAt::earliest() : from.as_start_at());
  } else {
    for (auto partition : o.partitions) {
      auto known = starts.find(partition);
      co_await consumer.assign(o.topic, partition, known != starts.end() ? StartAt::at(known->second) : from.as_start_at());
    }
  }
}

asio::awaitable<int> tail(Client& client, StopRequest& stop, const TailOptions& o) {
  RecordOutput output(o.format);
  const auto saved = read_saved(o);
  const bool same_output = saved && saved->output_bytes && saved->output == o.output;
  OutputSink sink(o.output, same_output ? &*saved->output_bytes : nullptr);

  ConsumerOptions options;
  options.follow = !o.exit_at_end;
  options.window = parse_concurrency(o.window, "--window", ConsumerOptions{}.window.max, 256);
  options.max_in_flight = parse_concurrency(o.in_flight, "--in-flight", ConsumerOptions{}.max_in_flight.max, 1024);
  options.fetch_records = static_cast<std::int32_t>(o.fetch_records);
  Consumer consumer(client, options);
  co_await start_partitions(client, consumer, o, saved);

  auto ex = co_await asio::this_coro::executor;
  auto progress = std::make_shared<TailProgress>(ex);
  std::unique_ptr<MetricsEndpoint> metrics;
  if (o.metrics_port >= 0) {
    metrics = std::make_unique<MetricsEndpoint>(ex, o.metrics_address, static_cast<std::uint16_t>(o.metrics_port),
                                                [&client, progress] { return metrics_page(client, *progress); });
    std::fprintf(stderr, "krest tail: metrics at http://%s:%u/metrics\n", o.metrics_address.c_str(),
                 static_cast<unsigned>(metrics->port()));
  }
  if (o.stats_interval_s > 0 || metrics) {
    const auto every = o.stats_interval_s > 0
                           ? std::chrono::milliseconds(static_cast<std::int64_t>(o.stats_interval_s * 1000))
                           : std::chrono::milliseconds(5000);
    asio::co_spawn(ex, watch(client, consumer, o.topic, progress, every, o.stats_interval_s > 0), asio::detached);
  }
  stop.on_request = [&consumer] { consumer.close(); };  // poll() then returns nothing
  if (stop.requested) consumer.close();                 // interrupted while partitions were being read

  std::exception_ptr failure;
  try {
    co_await write_out(consumer, output, sink, o, *progress);
  } catch (...) {
    failure = std::current_exception();
  }
  stop.on_request = nullptr;
  progress->stopped = true;
  progress->timer.cancel();
  metrics.reset();
  consumer.close();
  save_checkpoint(o, consumer, sink, *progress);
  if (failure) std::rethrow_exception(failure);
  if (o.stats_interval_s > 0)
    std::fprintf(stderr, "krest tail: '%s' %s records written; stopped\n", o.topic.c_str(),
                 with_thousands(progress->written).c_str());
  co_return kExitOk;
}

std::vector<std::int32_t> parse_partitions(const std::string& list) {
  std::vector<std::int32_t> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(start, end - start);
    std::int32_t p = -1;
    auto [stop, ec] = std::from_chars(item.data(), item.data() + item.size(), p);
    if (item.empty() || ec != std::errc() || stop != item.data() + item.size() || p < 0)
      throw CLI::ValidationError("--partitions", "'" + list + "' is not a list of partition numbers like 0,2");
    out.push_back(p);
    start = end + 1;
  }
  return out;
}

}  // namespace

Subcommand tail_subcommand() {
  auto o = std::make_shared<TailOptions>();
  Subcommand s{"tail", "Follow a topic and write its records out, for as long as it runs"};
  s.define = [o](CLI::App& app) -> std::vector<CLI::App*> {
    app.add_option("-t,--topic", o->topic, "the topic to follow")->required();
    app.add_option_function<std::string>(
           "-p,--partitions", [o](const std::string& list) { o->partitions = parse_partitions(list); },
           "only these partitions, e.g. 0,2 (default: all, and partitions added later)")
        ->type_name("LIST");
    app.add_option("-o,--from", o->from,
                   "where to start without a checkpoint: beginning|earliest, end|latest, an offset, or -N (N "
                   "before the end)");
    app.add_option("--checkpoint", o->checkpoint,
                   "save the position here (atomically, as it goes) and continue from it on restart")
        ->type_name("FILE");
    app.add_option("--checkpoint-interval-ms", o->checkpoint_interval_ms, "how often the checkpoint is saved")
        ->check(CLI::Range(10, 3600000));
    app.add_option("-O,--output", o->output,
                   "append records to this file (- for stdout); with --checkpoint, exact across crashes")
        ->type_name("FILE");
    app.add_option("-f,--format", o->format,
                   "ndjson (one JSON object per record), value, or a kcat-style format like '%p %o %k %s\\n' "
                   "(%t %p %o %k %s %T %K %S)");
    app.add_flag("-e,--exit-at-end", o->exit_at_end, "stop once every partition is caught up");
    app.add_option("-c,-n,--max", o->max_records, "stop after this many records")
        ->check(CLI::Range(std::int64_t{1}, INT64_MAX));
    app.add_option("--stats-interval", o->stats_interval_s, "print progress and lag to stderr every SECONDS")
        ->check(CLI::Range(0.1, 86400.0))
        ->type_name("SECONDS");
    app.add_option("--metrics-port", o->metrics_port,
                   "serve Prometheus metrics at http://ADDRESS:PORT/metrics (0: any port)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--metrics-address", o->metrics_address, "address the metrics port listens on");
    auto* tuning = app.add_option_group("Tuning");
    add_concurrency_option(*tuning, "--window", o->window, "fetches in flight per partition", 256);
    add_concurrency_option(*tuning, "--in-flight", o->in_flight, "fetches in flight over all partitions", 1024);
    add_auto_count_option(*tuning, "--fetch-records", o->fetch_records,
                          "records asked for per fetch: auto (500, and 2000 once a link of 30 ms or more is "
                          "measured) or N",
                          100000);
    app.footer("Examples:\n"
               "  krest tail -t events -o beginning -e              # everything, then stop\n"
               "  krest tail -t events -o -100 -f '%p:%o %s\\n'     # the last 100 of each partition, then follow\n"
               "  krest tail -t events --checkpoint events.cp -O events.ndjson --stats-interval 60");
    return {&app};
  };
  s.check = [o] {
    RecordOutput check(o->format);
    parse_start(o->from, "--from");
    require_topic_name(o->topic);
  };
  s.command = [o](Client& client, StopRequest& stop) { return tail(client, stop, *o); };
  return s;
}

}  // namespace krest::cli
