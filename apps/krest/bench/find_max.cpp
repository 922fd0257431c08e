#include "bench/find_max.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "bench/bench_json.hpp"
#include "bench/svg_chart.hpp"
#include "cli/plain_json.hpp"
#include "cli/terminal_status.hpp"

namespace asio = boost::asio;

namespace krest::cli {
namespace {

double ok_per_second(const BenchResult& r) {
  return r.seconds > 0 ? static_cast<double>(r.requests - r.failed) / r.seconds : 0;
}

double objective_ms(const BenchResult& r, const LatencyObjective& o) {
  return static_cast<double>(r.latency.quantile(o.quantile)) / 1000.0;
}

std::string quantile_name(const LatencyObjective& o) { return o.text.substr(0, o.text.find('=')); }

// Kept when nothing failed, the objective's percentile is within its bound, and the loops kept up
// with the schedule (a rate they could not reach is not a rate the proxy sustained).
void judge(FindMaxStep& step, const LatencyObjective& o) {
  const auto& r = step.result;
  const double got = objective_ms(r, o);
  if (r.failed > 0)
    step.verdict = with_thousands(r.failed) + " failed";
  else if (r.requests == 0)
    step.verdict = "no request completed";
  else if (got > o.bound_ms)
    step.verdict = quantile_name(o) + " " + fixed_point(got, 2) + " ms > " + fixed_point(o.bound_ms, 2) + " ms";
  else if (step.target_rate > 0 && ok_per_second(r) < 0.95 * step.target_rate)
    step.verdict = "reached " + fixed_point(ok_per_second(r), 0) + " of " + fixed_point(step.target_rate, 0) + "/s (raise --in-flight)";
  else
    step.verdict = "kept";
  step.kept = step.verdict == "kept";
}

// After a step that overloaded the proxy (the probe always does), a second of rest before the
// next: what the overload left behind (a drained quota bucket, queued requests) would otherwise
// be charged to the next step. Measured: a step at 93% of a 200/s quota started straight after
// the probe failed on one 429 in 4 runs of 6, and the search then settled 10% under the quota.
constexpr auto rest_after_overload = std::chrono::seconds(1);

asio::awaitable<void> rest(const bool& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = std::chrono::steady_clock::now() + rest_after_overload;
  while (!stop && std::chrono::steady_clock::now() < until) {  // Ctrl-C is seen within 100 ms
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace

const FindMaxStep* FindMaxResult::best_step() const {
  const FindMaxStep* best = nullptr;
  for (const auto& s : steps)
    if (s.kept && s.target_rate > 0 && (!best || s.target_rate > best->target_rate)) best = &s;
  return best;
}

asio::awaitable<FindMaxResult> find_max(Client& client, const BenchOptions& options, const LatencyObjective& objective,
                                        const std::function<void(int, double)>& on_step,
                                        const std::function<void(const BenchResult&, double)>& on_tick,
                                        const bool& stop) {
  FindMaxResult out;
  out.objective = objective;
  BenchOptions step_options = options;
  step_options.rate = 0;
  on_step(1, 0);
  FindMaxStep probe;
  probe.result = co_await run_bench(client, step_options, on_tick, stop);
  judge(probe, objective);
  const double probe_rate = ok_per_second(probe.result);
  out.steps.push_back(std::move(probe));
  if (probe_rate <= 0 || stop) co_return out;

  RateSearch search(probe_rate);
  while (auto next = search.next()) {
    if (!out.steps.back().kept) co_await rest(stop);
    if (stop) break;
    const double rate = std::max(0.1, std::round(*next * 10) / 10);  // 204.2, not 204.21654453833293
    step_options.rate = rate;
    step_options.start_at.reset();  // only the probe waits for --start-at
    on_step(static_cast<int>(out.steps.size()) + 1, rate);
    FindMaxStep step;
    step.target_rate = rate;
    step.result = co_await run_bench(client, step_options, on_tick, stop);
    judge(step, objective);
    search.record(rate, step.kept);
    out.steps.push_back(std::move(step));
  }
  out.best_rate = search.best();
  co_return out;
}

std::string find_max_table(const FindMaxResult& f) {
  std::string out = "krest bench --find-max, objective " + f.objective.text + ", no request failing:\n";
  out += "  step  target req/s  reached req/s    records/s     p50 ms  " + quantile_name(f.objective) + " ms  verdict\n";
  for (std::size_t i = 0; i < f.steps.size(); ++i) {
    const auto& s = f.steps[i];
    const auto& r = s.result;
    char line[256];
    std::snprintf(line, sizeof line, "  %4zu  %12s  %13s  %11s  %9s  %7s  %s\n", i + 1,
                  s.target_rate > 0 ? fixed_point(s.target_rate, 1).c_str() : "closed loop", fixed_point(ok_per_second(r), 1).c_str(),
                  with_thousands(static_cast<std::uint64_t>(r.seconds > 0 ? static_cast<double>(r.records) / r.seconds : 0)).c_str(),
                  fixed_point(static_cast<double>(r.latency.quantile(0.5)) / 1000, 2).c_str(),
                  fixed_point(objective_ms(r, f.objective), 2).c_str(), s.verdict.c_str());
    out += line;
  }
  if (const auto* best = f.best_step()) {
    const auto& r = best->result;
    out += "maximum sustained: " + fixed_point(best->target_rate, 1) + " requests/s (" +
           with_thousands(static_cast<std::uint64_t>(static_cast<double>(r.records) / r.seconds)) + " records/s) with " +
           quantile_name(f.objective) + " " + fixed_point(objective_ms(r, f.objective), 2) + " ms <= " +
           fixed_point(f.objective.bound_ms, 2) + " ms\n";
  } else {
    out += "no fixed rate kept the objective (" + f.objective.text + ")\n";
  }
  return out;
}

std::string find_max_json(const FindMaxResult& f) {
  boost::json::array steps;
  for (const auto& s : f.steps) {
    const auto& r = s.result;
    steps.push_back(boost::json::object{
        {"target_rate", s.target_rate},
        {"requests_per_second", ok_per_second(r)},
        {"records_per_second", r.seconds > 0 ? static_cast<double>(r.records) / r.seconds : 0},
        {"failed", r.failed},
        {"p50_ms", static_cast<double>(r.latency.quantile(0.5)) / 1000},
        {"objective_ms", objective_ms(r, f.objective)},
        {"kept", s.kept},
        {"verdict", s.verdict}});
  }
  const auto* best = f.best_step();
  // The best step's whole result, so compare and merge read it like any other.
  boost::json::object doc = best ? bench_json_object(best->result) : bench_json_object(f.steps.front().result);
  doc["find_max"] = boost::json::object{{"objective", f.objective.text},
                                        {"quantile", f.objective.quantile},
                                        {"bound_ms", f.objective.bound_ms},
                                        {"max_rate", best ? best->target_rate : 0.0},
                                        {"steps", std::move(steps)}};
  return plain_json(doc);
}

std::string find_max_html(const FindMaxResult& f) {
  std::vector<const FindMaxStep*> fixed_steps;
  for (const auto& s : f.steps)
    if (s.target_rate > 0) fixed_steps.push_back(&s);
  std::sort(fixed_steps.begin(), fixed_steps.end(),
            [](const FindMaxStep* a, const FindMaxStep* b) { return a->target_rate < b->target_rate; });
  Chart curve{"latency-vs-rate", "Latency by fixed rate (the objective: " + f.objective.text + ")", "requests per second",
              "milliseconds", {}, {}, "", true};
  ChartSeries objective{quantile_name(f.objective), {}}, median{"p50", {}}, bound{"objective", {}};
  for (const auto* s : fixed_steps) {
    objective.points.emplace_back(s->target_rate, objective_ms(s->result, f.objective));
    median.points.emplace_back(s->target_rate, static_cast<double>(s->result.latency.quantile(0.5)) / 1000);
  }
  if (!fixed_steps.empty()) {
    bound.points.emplace_back(fixed_steps.front()->target_rate, f.objective.bound_ms);
    bound.points.emplace_back(fixed_steps.back()->target_rate, f.objective.bound_ms);
  }
  curve.series = {std::move(objective), std::move(median), std::move(bound)};
  std::string html = "<h2>Maximum sustained rate</h2>\n<pre id=\"find-max\">" + escape_html(find_max_table(f)) + "</pre>\n";
  html += svg_chart(curve);
  if (const auto* best = f.best_step())
    html += "<p>Below: the step at " + fixed_point(best->target_rate, 1) + " requests/s, the highest that kept the objective.</p>\n";
  return html;
}

}  // namespace krest::cli
