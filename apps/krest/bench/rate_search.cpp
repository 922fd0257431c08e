#include "bench/rate_search.hpp"

#include <cmath>
#include <cstdlib>

#include "cli/usage_error.hpp"

namespace krest::cli {

LatencyObjective LatencyObjective::parse(const std::string& text) {
  auto bad = [&] {
    return UsageError("--slo '" + text + "': give a percentile and a bound, as p99=50ms, p99.9=200ms, p50=5ms or max=1s");
  };
  const auto eq = text.find('=');
  if (eq == std::string::npos) throw bad();
  LatencyObjective o;
  o.text = text;
  const std::string which = text.substr(0, eq), bound = text.substr(eq + 1);
  if (which == "max") {
    o.quantile = 1.0;
  } else {
    if (which.size() < 2 || which[0] != 'p') throw bad();
    char* end = nullptr;
    const double percent = std::strtod(which.c_str() + 1, &end);
    if (*end != '\0' || !(percent > 0 && percent < 100)) throw bad();
    o.quantile = percent / 100;
  }
  char* end = nullptr;
  const double value = std::strtod(bound.c_str(), &end);
  const std::string unit = end ? end : "";
  if (end == bound.c_str() || !(value > 0)) throw bad();
  if (unit == "ms")
    o.bound_ms = value;
  else if (unit == "s")
    o.bound_ms = value * 1000;
  else if (unit == "us")
    o.bound_ms = value / 1000;
  else
    throw bad();
  return o;
}

RateSearch::RateSearch(double probe, double precision, int max_steps)
    : broken_(probe * 1.1), precision_(precision), max_steps_(max_steps), first_(probe * 0.9) {}

std::optional<double> RateSearch::next() const {
  if (steps_ >= max_steps_ || broken_ <= 0) return std::nullopt;
  if (steps_ == 0) return first_;
  if (broken_ - kept_ <= precision_ * broken_) return std::nullopt;
  // While nothing has kept the objective, halve: the limit may be far below the probe's rate
  // (a probe that errors fast is quick, not good).
  return kept_ > 0 ? (kept_ + broken_) / 2 : broken_ / 2;
}

void RateSearch::record(double rate, bool kept) {
  ++steps_;
  if (kept && rate > kept_) kept_ = rate;
  if (!kept && rate < broken_) {
    broken_ = rate;
    broken_tried_ = true;
  }
  // Everything kept up to the guess above the probe (whose loops were the limit, not the proxy):
  // look higher.
  if (!broken_tried_ && kept_ >= broken_ * (1 - precision_)) broken_ *= 2;
  // A step that kept the objective above one that broke it (noise): the broken one was unlucky,
  // or the kept one was; search above the kept one, which is what was seen last.
  if (kept_ >= broken_) broken_ = kept_ * (1 + 2 * precision_);
}

}  // namespace krest::cli
