#pragma once
// `krest bench ... --find-max --slo p99=50ms`: a closed-loop probe for the scale, then fixed-rate
// steps (each timed from its scheduled send times, so an overloaded proxy shows in latency)
// chosen by RateSearch, and the highest rate that kept the objective with no request failing.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <vector>

#include "bench/bench_run.hpp"
#include "bench/rate_search.hpp"

namespace krest::cli {

struct FindMaxStep {
  double target_rate = 0;  // requests/s; 0: the closed-loop probe
  BenchResult result;
  bool kept = false;
  std::string verdict;  // "kept", or why not: "p99 61.20 ms > 50 ms", "3 failed", "reached 180 of 200/s"
};

struct FindMaxResult {
  LatencyObjective objective;
  std::vector<FindMaxStep> steps;
  double best_rate = 0;  // requests/s; 0: no step kept the objective
  const FindMaxStep* best_step() const;
};

// Every step lasts options.duration_s. on_step is called as each step starts (its number, its rate).
boost::asio::awaitable<FindMaxResult> find_max(Client& client, const BenchOptions& options,
                                               const LatencyObjective& objective,
                                               const std::function<void(int, double)>& on_step,
                                               const std::function<void(const BenchResult&, double)>& on_tick,
                                               const bool& stop);

std::string find_max_table(const FindMaxResult& result);
std::string find_max_json(const FindMaxResult& result);
// The latency-vs-rate curve ("hockey stick") as an HTML section for the best step's report.
std::string find_max_html(const FindMaxResult& result);

}  // namespace krest::cli
