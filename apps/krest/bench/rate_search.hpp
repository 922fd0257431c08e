#pragma once
// The search behind `krest bench --find-max`: the highest fixed rate that keeps a latency
// objective, found from a closed-loop probe by fixed-rate steps. Sans-I/O: it says which rate to
// try next and is told whether that step kept the objective, so the search is tested with
// scripted verdicts and the steps are run by find_max.
#include <optional>
#include <string>
#include <vector>

namespace krest::cli {

// "p99=50ms": a percentile of latency and the bound it must stay within.
struct LatencyObjective {
  double quantile = 0.99;  // 1.0: max
  double bound_ms = 0;
  std::string text;        // as given, for reports

  // Throws UsageError for anything but pN[.N]|max = NUMBER(us|ms|s).
  static LatencyObjective parse(const std::string& text);
};

class RateSearch {
 public:
  // `probe`: the requests/s a closed loop reached; the search starts just below it. `precision`:
  // it stops when the highest rate kept and the lowest broken are within this share of each other.
  RateSearch(double probe, double precision = 0.05, int max_steps = 12);

  // The next rate to try, or nothing when the search is over.
  std::optional<double> next() const;
  void record(double rate, bool kept);

  double best() const { return kept_; }        // the highest rate that kept the objective; 0: none
  double lowest_broken() const { return broken_; }
  int steps() const { return steps_; }

 private:
  double kept_ = 0, broken_;
  bool broken_tried_ = false;  // broken_ is a rate that broke, not the first guess above the probe
  double precision_;
  int steps_ = 0, max_steps_;
  double first_;
};

}  // namespace krest::cli
