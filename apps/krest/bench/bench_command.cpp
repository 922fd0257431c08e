// krest bench produce|consume|mixed: how fast is this proxy, measured from here.
// krest bench compare|merge FILE.json...: what earlier runs measured, side by side or as one.
#include "bench/bench_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>

#include "bench/bench_compare.hpp"
#include "bench/bench_json.hpp"
#include "bench/bench_report.hpp"
#include "bench/find_max.hpp"
#include "bench/hdr_log.hpp"
#include "cli/run_command.hpp"
#include "cli/subcommand.hpp"
#include "cli/terminal_status.hpp"
#include "cli/usage_error.hpp"

namespace asio = boost::asio;

namespace krest::cli {
namespace {

bool measures(const BenchOptions& o) { return o.mode != "compare" && o.mode != "merge"; }

// "100" or "50-500".
void parse_record_size(const std::string& text, BenchOptions& o) {
  auto bad = [&] { return UsageError("--record-size '" + text + "': give bytes (100) or a range (50-500), 1 to 10000000"); };
  long long low = 0, high = 0;
  char extra = 0;
  const int n = std::sscanf(text.c_str(), "%lld-%lld%c", &low, &high, &extra);
  if (n == 1 && text.find_first_not_of("0123456789") == std::string::npos)
    high = 0;
  else if (n != 2 || text.find_first_not_of("0123456789-") != std::string::npos)
    throw bad();
  if (low < 1 || low > 10000000 || high < 0 || high > 10000000 || (n == 2 && high < low)) throw bad();
  o.record_size = low;
  o.record_size_max = n == 2 ? high : 0;
}

// "3:1": produce and consume requests of a mixed run, in turn.
void parse_ratio(const std::string& text, BenchOptions& o) {
  long long p = 0, c = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%lld:%lld%c", &p, &c, &extra) != 2 || p < 0 || c < 0 || p + c < 1 || p > 1000 ||
      c > 1000 || text.find_first_not_of("0123456789:") != std::string::npos)
    throw UsageError("--ratio '" + text + "': give produce:consume requests, as 3:1 (each 0 to 1000)");
  o.ratio_produce = p;
  o.ratio_consume = c;
}

void write_file(const std::string& path, const std::string& text, const char* what) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error(std::string("cannot write the ") + what + " '" + path + "'");
  std::fprintf(stderr, "krest bench: %s written to %s\n", what, path.c_str());
}

// A run stopped by SIGINT/SIGTERM before its end: what it measured is printed, and the exit code
// says it is not the run asked for (as krest load's does).
int interrupted() {
  std::fputs("krest bench: interrupted: the figures cover the run until then\n", stderr);
  return kExitInterrupted;
}

asio::awaitable<int> bench(Client& client, StopRequest& stop, const BenchOptions& o) {
  TerminalStatus status(o.progress);
  std::function<void(const BenchResult&, double)> on_tick = [&status, &o](const BenchResult& r, double seconds) {
    const auto rate = seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(r.records) / seconds) : 0;
    status.show("bench " + o.mode + ": " + std::to_string(static_cast<int>(seconds)) + " s  " +
                with_thousands(r.records) + " records  " + with_thousands(rate) + " records/s  p99 " +
                std::to_string(r.latency.quantile(0.99) / 1000) + " ms" +
                (r.failed ? "  " + with_thousands(r.failed) + " failed" : ""));
  };
  if (o.find_max) {
    const auto objective = LatencyObjective::parse(o.slo);
    std::function<void(int, double)> on_step = [&o, &on_tick, &status](int step, double rate) {
      on_tick = [&status, &o, step, rate](const BenchResult& r, double seconds) {
        status.show("bench " + o.mode + " find-max, step " + std::to_string(step) + " at " +
                    (rate > 0 ? with_thousands(static_cast<std::uint64_t>(rate)) + " requests/s" : "full speed") + ": " +
                    std::to_string(static_cast<int>(seconds)) + " s  p99 " +
                    std::to_string(r.latency.quantile(0.99) / 1000) + " ms" +
                    (r.failed ? "  " + with_thousands(r.failed) + " failed" : ""));
      };
    };
    const auto found = co_await find_max(client, o, objective, on_step, on_tick, stop.requested);
    status.clear();
    const auto* best = found.best_step();
    const auto& shown = best ? best->result : found.steps.front().result;
    std::fputs((find_max_table(found) + "\n" + bench_table(shown)).c_str(), o.json ? stderr : stdout);
    if (o.json) std::fputs(find_max_json(found).c_str(), stdout);
    if (!o.report.empty()) write_file(o.report, bench_html(shown, find_max_html(found)), "report");
    if (!o.hlog.empty()) write_file(o.hlog, hdr_interval_log(shown), "HdrHistogram log");
    if (stop.requested) co_return interrupted();
    co_return best ? kExitOk : kExitFailed;
  }
  BenchResult result = co_await run_bench(client, o, on_tick, stop.requested);
  status.clear();
  std::fputs(bench_table(result).c_str(), o.json ? stderr : stdout);
  if (o.json) std::fputs(bench_json(result).c_str(), stdout);
  if (!o.report.empty()) write_file(o.report, bench_html(result), "report");
  if (!o.hlog.empty()) write_file(o.hlog, hdr_interval_log(result), "HdrHistogram log");
  if (stop.requested) co_return interrupted();
  co_return result.failed > 0 || result.missing > 0 ? kExitFailed : kExitOk;
}

std::vector<BenchResult> read_all(const std::vector<std::string>& files) {
  std::vector<BenchResult> runs;
  for (const auto& f : files) runs.push_back(read_bench_json(f));
  return runs;
}

// compare: the table on stdout, the overlay to --report.
int compare(const BenchOptions& o) {
  if (o.files.size() < 2) throw UsageError("compare needs two or more --json results (krest bench compare A.json B.json)");
  const auto groups = group_runs(o.files, read_all(o.files));
  std::fputs(compare_table(groups).c_str(), stdout);
  if (!o.report.empty()) write_file(o.report, compare_html(groups), "report");
  return kExitOk;
}

// merge: one result on stdout (JSON), its table on stderr, its report to --report.
int merge(const BenchOptions& o) {
  if (o.files.empty()) throw UsageError("merge needs the --json results of the runs to merge");
  const auto merged = merge_results(read_all(o.files));
  std::fputs(bench_table(merged).c_str(), stderr);
  std::fputs(bench_json(merged).c_str(), stdout);
  if (!o.report.empty()) write_file(o.report, bench_html(merged), "report");
  if (!o.hlog.empty()) write_file(o.hlog, hdr_interval_log(merged), "HdrHistogram log");
  return merged.failed > 0 ? kExitFailed : kExitOk;
}

// "2026-12-03T10:00:00Z" or seconds since 1970.
std::chrono::system_clock::time_point parse_start_at(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
    return std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(text)));
  std::tm tm{};
  char zone = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &zone, &consumed) != 7 ||
      zone != 'Z' || static_cast<std::size_t>(consumed) != text.size())
    throw UsageError("--start-at '" + text + "': give a UTC time as 2026-12-03T10:00:00Z, or seconds since 1970");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Subcommand bench_subcommand() {
  auto o = std::make_shared<BenchOptions>();
  auto start_at = std::make_shared<std::string>();
  auto record_size = std::make_shared<std::string>();
  auto ratio = std::make_shared<std::string>();
  auto poll_max_ms = std::make_shared<std::int64_t>(2000);
  Subcommand s{"bench", "Measure a proxy's throughput and latency (produce, consume or mixed); compare or merge results"};
  s.define = [o, start_at, record_size, ratio, poll_max_ms](CLI::App& app) -> std::vector<CLI::App*> {
    app.add_option("mode", o->mode,
                   "produce, consume, mixed (see --ratio), or end-to-end (records timed from their send to their "
                   "arrival at a tail); compare or merge earlier --json results")
        ->required()
        ->check(CLI::IsMember({"produce", "consume", "mixed", "end-to-end", "compare", "merge"}));
    app.add_option("files", o->files, "compare, merge: the --json results to read")->type_name("FILE.json ...");
    app.add_option("-t,--topic", o->topic, "the topic (consume reads what it holds); needed to measure");
    app.add_option("-n,--records", o->records, "stop after this many records (default: run for --duration)")
        ->check(CLI::Range(std::int64_t{1}, INT64_MAX));
    app.add_option("-d,--duration", o->duration_s, "seconds to run")->check(CLI::Range(0.1, 86400.0));
    app.add_option("-s,--record-size", *record_size, "bytes per record value, or a range to spread them over (50-500)")
        ->type_name("BYTES|MIN-MAX")
        ->default_str("100");
    app.add_option("--keys", o->keys, "key the records with this many distinct keys, in turn (0: no keys)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{100000000}));
    app.add_option("--ratio", *ratio, "mixed: produce:consume requests, in turn")->type_name("P:C")->default_str("1:1");
    app.add_option("--poll-max-ms", *poll_max_ms,
                   "end-to-end: the tail's longest wait at a partition's end (krest tail's default)")
        ->check(CLI::Range(1, 60000));
    app.add_option("--sample", o->sample_file, "take record values from this file's lines instead")->type_name("FILE");
    app.add_option("-b,--batch", o->batch, "records per request (produce body, consume count)")
        ->check(CLI::Range(1, 100000));
    app.add_option("-w,--in-flight", o->in_flight, "requests at once")->check(CLI::Range(1, 4096));
    app.add_option("--partitions", o->partitions, "create the topic with this many partitions if it is missing")
        ->check(CLI::Range(1, 100000));
    app.add_option("-r,--rate", o->rate,
                   "a fixed rate in requests/s; latency then counts from each request's scheduled time")
        ->check(CLI::Range(0.0, 10000000.0));
    app.add_option("--start-at", *start_at,
                   "send the first request at this wall-clock time (UTC, 2026-12-03T10:00:00Z, or seconds since "
                   "1970): runs on several machines start together, for merge")
        ->type_name("TIME");
    app.add_flag("--find-max", o->find_max,
                 "find the highest fixed rate that keeps --slo with no request failing: a full-speed probe, then "
                 "fixed-rate steps of --duration each");
    app.add_option("--slo", o->slo, "the latency objective for --find-max: p99=50ms, p99.9=200ms, max=1s, ...")
        ->type_name("pN=BOUND");
    app.add_flag("--json", o->json,
                 "print the result as JSON on stdout (the table goes to stderr): plain decimals, the whole "
                 "histogram and every interval's, for compare and merge");
    app.add_option("--report", o->report, "write a self-contained HTML report with charts")->type_name("FILE.html");
    app.add_option("--hlog", o->hlog,
                   "write the run's intervals as an HdrHistogram interval log (HistogramLogProcessor, the plotters "
                   "read it; values in microseconds)")
        ->type_name("FILE.hlog");
    app.add_option("--progress", o->progress, "status line on stderr: auto (on a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.footer("Examples:\n"
               "  krest bench produce -t bench --partitions 6 -d 30 -b 500 -w 16 --report produce.html\n"
               "  krest bench consume -t bench -d 30 --json > consume.json\n"
               "  krest bench produce -t bench -r 200 -d 60      # a fixed 200 requests/s: latency under load\n"
               "  krest bench produce -t bench -d 10 --find-max --slo p99=50ms --report max.html\n"
               "  krest bench mixed -t bench --ratio 3:1 -s 50-2000 --keys 1000 -d 30\n"
               "  krest bench end-to-end -t bench -r 100 -b 10 -d 30   # produce to tail, per record\n"
               "  krest bench compare before.json after.json --report compare.html\n"
               "  krest bench produce -t bench -d 60 --start-at 2026-12-03T10:00:00Z --json > $(hostname).json\n"
               "  krest bench merge host1.json host2.json > all.json   # histograms added, not percentiles averaged");
    return {&app};
  };
  s.check = [o, start_at, record_size, ratio, poll_max_ms] {
    if (!record_size->empty()) parse_record_size(*record_size, *o);
    if (!ratio->empty()) {
      if (o->mode != "mixed") throw UsageError("--ratio is for mixed runs");
      parse_ratio(*ratio, *o);
    }
    o->poll_max = std::chrono::milliseconds(*poll_max_ms);
    if (o->mode == "end-to-end" && o->record_size < 17 && o->sample_file.empty())
      throw UsageError("end-to-end stamps each value with 17 bytes: --record-size must be at least 17");
    if (measures(*o)) {
      if (o->topic.empty()) throw UsageError("--topic is required to measure (krest bench " + o->mode + " -t TOPIC)");
      require_topic_name(o->topic);
      if (!o->files.empty()) throw UsageError("unexpected argument '" + o->files.front() + "' (files are for compare and merge)");
    }
    if (!start_at->empty()) o->start_at = parse_start_at(*start_at);
    if (o->find_max) {
      if (o->slo.empty()) throw UsageError("--find-max needs an objective: --slo p99=50ms (any percentile and bound)");
      LatencyObjective::parse(o->slo);
      if (o->records > 0) throw UsageError("--find-max runs steps of --duration seconds: --records does not apply");
      if (o->rate > 0) throw UsageError("--find-max chooses the rates itself: --rate does not apply");
    } else if (!o->slo.empty()) {
      throw UsageError("--slo is the objective of --find-max: give --find-max too");
    }
  };
  s.local = [o]() -> std::optional<int> {
    if (o->mode == "compare") return compare(*o);
    if (o->mode == "merge") return merge(*o);
    return std::nullopt;
  };
  // One connection per request in flight: HTTP/1.1 has no pipelining.
  // (end-to-end: and up to 16 more for its tail.)
  s.adjust = [o](ClientOptions& options) {
    options.pool.connections = static_cast<std::size_t>(o->in_flight) + (o->mode == "end-to-end" ? 16 : 0);
  };
  s.command = [o](Client& client, StopRequest& stop) { return bench(client, stop, *o); };
  return s;
}

}  // namespace krest::cli
