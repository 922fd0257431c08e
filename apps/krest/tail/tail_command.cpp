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

#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/atomic_file.hpp"
#include "cli/concurrency_option.hpp"
#include "cli/run_command.hpp"
#include "cli/start_offset.hpp"
#include "cli/terminal_status.hpp"
#include "cli/usage_error.hpp"
#include "krest/admin.hpp"
#include "krest/consumer.hpp"
#include "tail/metrics_endpoint.hpp"
#include "tail/output_sink.hpp"
#include "tail/record_output.hpp"
#include "tail/tail_checkpoint.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace krest::cli {
namespace {

// tail also takes kcat's words for the two ends.
StartAt parse_from(const std::string& from) {
  if (from == "beginning") return StartAt::earliest();
  if (from == "end") return StartAt::latest();
  return parse_start(from, "--from");
}

// What the stats line and the metrics endpoint read while the tail runs.
struct TailProgress {
  explicit TailProgress(asio::any_io_executor ex) : timer(std::move(ex)) {}
  std::uint64_t written = 0;
  std::map<std::int32_t, std::int64_t> next_offsets;
  std::optional<std::int64_t> lag;  // from the last stats line
  asio::steady_timer timer;
  bool stopped = false;
};

asio::awaitable<void> print_stats(Client& client, const std::string& topic, std::shared_ptr<TailProgress> progress,
                                  std::chrono::milliseconds every) {
  Admin admin(client);
  auto last = Clock::now();
  std::uint64_t last_written = 0;
  while (!progress->stopped) {
    progress->timer.expires_after(every);
    co_await progress->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (progress->stopped) co_return;
    std::string lag = "lag unknown";
    try {
      auto partitions = co_await admin.describe_topic(topic);
      if (progress->stopped) co_return;
      std::int64_t total = 0;
      for (const auto& p : partitions) {
        auto at = progress->next_offsets.find(p.partition);
        if (at != progress->next_offsets.end()) total += std::max<std::int64_t>(0, p.latest_offset - at->second);
      }
      progress->lag = total;
      lag = "lag " + with_thousands(static_cast<std::uint64_t>(total)) + " over " +
            std::to_string(progress->next_offsets.size()) + " partition(s)";
    } catch (const Error& e) {
      lag = std::string("lag unknown (") + e.what() + ")";
    }
    const auto now = Clock::now();
    double seconds = std::chrono::duration<double>(now - last).count();
    auto rate = seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(progress->written - last_written) / seconds) : 0;
    std::fprintf(stderr, "krest tail: '%s' %s records written (%s/s), %s\n", topic.c_str(),
                 with_thousands(progress->written).c_str(), with_thousands(rate).c_str(), lag.c_str());
    last = now;
    last_written = progress->written;
  }
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

asio::awaitable<int> tail(Client& client, StopRequest& stop, const TailOptions& o) {
  RecordOutput output(o.format);
  const StartAt from = parse_from(o.from);
  TailCheckpoint saved;
  std::string text;
  const bool resuming = !o.checkpoint.empty() && read_file_if_exists(o.checkpoint, text);
  if (resuming) {
    saved = parse_tail_checkpoint(text, o.checkpoint);
    if (saved.topic != o.topic)
      throw UsageError("checkpoint '" + o.checkpoint + "' is for topic '" + saved.topic + "'");
  }
  const bool same_output = resuming && saved.output_bytes && saved.output == o.output;
  OutputSink sink(o.output, same_output ? &*saved.output_bytes : nullptr);

  ConsumerOptions options;
  options.follow = !o.exit_at_end;
  options.window = parse_concurrency(o.window, "--window", ConsumerOptions{}.window.max, 256);
  options.max_in_flight = parse_concurrency(o.in_flight, "--in-flight", ConsumerOptions{}.max_in_flight.max, 1024);
  options.fetch_records = static_cast<std::int32_t>(o.fetch_records);
  Consumer consumer(client, options);
  try {
    if (o.partitions.empty()) {
      for (const auto& [partition, next] : saved.next_offsets)
        co_await consumer.assign(o.topic, partition, StartAt::at(next));
      // A partition the checkpoint does not know was added since: it starts from its beginning.
      co_await consumer.subscribe(o.topic, resuming ? StartAt::earliest() : from);
    } else {
      for (auto partition : o.partitions) {
        auto known = saved.next_offsets.find(partition);
        StartAt start = known != saved.next_offsets.end() ? StartAt::at(known->second) : from;
        co_await consumer.assign(o.topic, partition, start);
      }
    }
  } catch (const Error& e) {
    if (e.status() == 404) throw std::runtime_error("topic or partition not found: " + std::string(e.what()));
    throw;
  }

  auto ex = co_await asio::this_coro::executor;
  auto progress = std::make_shared<TailProgress>(ex);
  if (o.stats_interval_s > 0)
    asio::co_spawn(ex,
                   print_stats(client, o.topic, progress,
                               std::chrono::milliseconds(static_cast<std::int64_t>(o.stats_interval_s * 1000))),
                   asio::detached);
  std::unique_ptr<MetricsEndpoint> metrics;
  if (o.metrics_port >= 0) {
    metrics = std::make_unique<MetricsEndpoint>(ex, o.metrics_address, static_cast<std::uint16_t>(o.metrics_port),
                                                [&client, progress] {
                                                  std::string page = client.metrics_text("krest_");
                                                  page += "# HELP krest_tail_records_written Records written out.\n"
                                                          "# TYPE krest_tail_records_written counter\n"
                                                          "krest_tail_records_written " +
                                                          std::to_string(progress->written) + "\n";
                                                  if (progress->lag)
                                                    page += "# HELP krest_tail_lag Records behind the partitions' "
                                                            "ends at the last stats line.\n"
                                                            "# TYPE krest_tail_lag gauge\nkrest_tail_lag " +
                                                            std::to_string(*progress->lag) + "\n";
                                                  return page;
                                                });
    std::fprintf(stderr, "krest tail: metrics at http://%s:%u/metrics\n", o.metrics_address.c_str(),
                 static_cast<unsigned>(metrics->port()));
  }
  stop.on_request = [&consumer] { consumer.close(); };  // poll() then returns nothing
  if (stop.requested) consumer.close();                 // interrupted while partitions were being read

  std::exception_ptr failure;
  std::string buffer;
  auto last_save = Clock::now();
  const auto save_every = std::chrono::milliseconds(o.checkpoint_interval_ms);
  try {
    for (;;) {
      std::optional<RecordBatch> batch;
      batch = co_await consumer.poll(500ms);
      if (!batch) break;
      if (!batch->records.empty()) {
        buffer.clear();
        const auto max = static_cast<std::uint64_t>(std::max<std::int64_t>(o.max_records, 0));
        progress->written +=
            output.append_batch(buffer, *batch, max > 0 ? max - progress->written : 0,
                                progress->next_offsets[batch->partition]);
        const bool reached_max = max > 0 && progress->written >= max;
        consumer.recycle(std::move(*batch));  // written out: its memory serves the next records
        if (!sink.write(buffer)) break;       // the reader of stdout went away
        if (reached_max) break;
      } else if (sink.reader_gone()) {
        break;  // idle, and no one reads what would come
      }
      if (!o.checkpoint.empty() && Clock::now() - last_save >= save_every) {
        save_checkpoint(o, consumer, sink, *progress);
        last_save = Clock::now();
      }
    }
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

CLI::App* add_tail_command(CLI::App& root, TailOptions& o, ConnectionProfile& profile) {
  auto* app = root.add_subcommand("tail", "Follow a topic and write its records out, for as long as it runs");
  app->add_option("-t,--topic", o.topic, "the topic to follow")->required();
  app->add_option_function<std::string>(
         "--partitions", [&o](const std::string& list) { o.partitions = parse_partitions(list); },
         "only these partitions, e.g. 0,2 (default: all, and partitions added later)")
      ->type_name("LIST");
  app->add_option("--from", o.from, "where to start without a checkpoint: earliest, latest, or an offset")
      ->capture_default_str();
  app->add_option("--checkpoint", o.checkpoint,
                  "save the position here (atomically, as it goes) and continue from it on restart")
      ->type_name("FILE");
  app->add_option("--checkpoint-interval-ms", o.checkpoint_interval_ms, "how often the checkpoint is saved")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  app->add_option("-o,--output", o.output,
                  "append records to this file (- for stdout); with --checkpoint, exact across crashes")
      ->capture_default_str()
      ->type_name("FILE");
  app->add_option("-f,--format", o.format,
                  "ndjson (one JSON object per record), value, or a kcat-style format like '%p %o %k %s\\n' "
                  "(%t %p %o %k %s %T %K %S)")
      ->capture_default_str();
  app->add_flag("-e,--exit-at-end", o.exit_at_end, "stop once every partition is caught up");
  app->add_option("-n,--max", o.max_records, "stop after this many records")->check(CLI::Range(std::int64_t{1}, INT64_MAX));
  app->add_option("--stats-interval", o.stats_interval_s, "print progress and lag to stderr every SECONDS")
      ->check(CLI::Range(0.1, 86400.0))
      ->type_name("SECONDS");
  app->add_option("--metrics-port", o.metrics_port, "serve Prometheus metrics at http://ADDRESS:PORT/metrics (0: any port)")
      ->check(CLI::Range(0, 65535));
  app->add_option("--metrics-address", o.metrics_address, "address the metrics port listens on")->capture_default_str();
  auto* tuning = app->add_option_group("Tuning");
  add_concurrency_option(*tuning, "--window", o.window, "fetches in flight per partition", 256);
  add_concurrency_option(*tuning, "--in-flight", o.in_flight, "fetches in flight over all partitions", 1024);
  tuning->add_option("--fetch-records", o.fetch_records, "records asked for per fetch")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  add_connection_options(*app, profile);
  return app;
}

int run_tail(const ConnectionProfile& profile, const TailOptions& o) {
  try {
    RecordOutput check(o.format);
    parse_from(o.from);
    auto options = client_options(profile);
    return run_command("tail", options, [&o](Client& client, StopRequest& stop) { return tail(client, stop, o); });
  } catch (...) {
    return report_failure("tail", std::current_exception());
  }
}

}  // namespace krest::cli
