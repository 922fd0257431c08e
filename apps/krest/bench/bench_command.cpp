// krest bench produce|consume|mixed: how fast is this proxy, measured from here.
#include "bench/bench_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>

#include "bench/bench_report.hpp"
#include "cli/run_command.hpp"
#include "cli/subcommand.hpp"
#include "cli/terminal_status.hpp"
#include "cli/usage_error.hpp"

namespace asio = boost::asio;

namespace krest::cli {
namespace {

asio::awaitable<int> bench(Client& client, StopRequest& stop, const BenchOptions& o) {
  TerminalStatus status(o.progress);
  std::function<void(const BenchResult&, double)> on_tick = [&status, &o](const BenchResult& r, double seconds) {
    const auto rate = seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(r.records) / seconds) : 0;
    status.show("bench " + o.mode + ": " + std::to_string(static_cast<int>(seconds)) + " s  " +
                with_thousands(r.records) + " records  " + with_thousands(rate) + " records/s  p99 " +
                std::to_string(r.latency.quantile(0.99) / 1000) + " ms" +
                (r.failed ? "  " + with_thousands(r.failed) + " failed" : ""));
  };
  BenchResult result = co_await run_bench(client, o, on_tick, stop.requested);
  status.clear();
  std::fputs(bench_table(o, result).c_str(), o.json ? stderr : stdout);
  if (o.json) std::fputs(bench_json(o, result).c_str(), stdout);
  if (!o.report.empty()) {
    std::ofstream out(o.report, std::ios::binary);
    out << bench_html(o, result);
    if (!out) throw std::runtime_error("cannot write the report '" + o.report + "'");
    std::fprintf(stderr, "krest bench: report written to %s\n", o.report.c_str());
  }
  co_return result.failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace

Subcommand bench_subcommand() {
  auto o = std::make_shared<BenchOptions>();
  Subcommand s{"bench", "Measure a proxy's throughput and latency (produce, consume or mixed)"};
  s.define = [o](CLI::App& app) -> std::vector<CLI::App*> {
    app.add_option("mode", o->mode, "produce, consume, or mixed (half of each)")
        ->required()
        ->check(CLI::IsMember({"produce", "consume", "mixed"}));
    app.add_option("-t,--topic", o->topic, "the topic (consume reads what it holds)")->required();
    app.add_option("-n,--records", o->records, "stop after this many records (default: run for --duration)")
        ->check(CLI::Range(std::int64_t{1}, INT64_MAX));
    app.add_option("-d,--duration", o->duration_s, "seconds to run")->check(CLI::Range(0.1, 86400.0));
    app.add_option("-s,--record-size", o->record_size, "bytes per record value")->check(CLI::Range(1, 10000000));
    app.add_option("--sample", o->sample_file, "take record values from this file's lines instead")->type_name("FILE");
    app.add_option("-b,--batch", o->batch, "records per request (produce body, consume count)")
        ->check(CLI::Range(1, 100000));
    app.add_option("-w,--in-flight", o->in_flight, "requests at once")->check(CLI::Range(1, 4096));
    app.add_option("--partitions", o->partitions, "create the topic with this many partitions if it is missing")
        ->check(CLI::Range(1, 100000));
    app.add_option("-r,--rate", o->rate,
                   "a fixed rate in requests/s; latency then counts from each request's scheduled time")
        ->check(CLI::Range(0.0, 10000000.0));
    app.add_flag("--json", o->json, "print the result as JSON on stdout (the table goes to stderr)");
    app.add_option("--report", o->report, "write a self-contained HTML report with charts")->type_name("FILE.html");
    app.add_option("--progress", o->progress, "status line on stderr: auto (on a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.footer("Examples:\n"
               "  krest bench produce -t bench --partitions 6 -d 30 -b 500 -w 16 --report produce.html\n"
               "  krest bench consume -t bench -d 30 --json > consume.json\n"
               "  krest bench produce -t bench -r 200 -d 60      # a fixed 200 requests/s: latency under load");
    return {&app};
  };
  s.check = [o] {
    require_topic_name(o->topic);
  };
  // One connection per request in flight: HTTP/1.1 has no pipelining.
  s.adjust = [o](ClientOptions& options) { options.pool.connections = static_cast<std::size_t>(o->in_flight); };
  s.command = [o](Client& client, StopRequest& stop) { return bench(client, stop, *o); };
  return s;
}

}  // namespace krest::cli
