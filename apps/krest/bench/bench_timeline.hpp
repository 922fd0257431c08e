#pragma once
// A run's course: counts and latencies per interval of time since its start. Intervals start at
// 100 ms; when a run outgrows kMaxIntervals, neighbours are merged and the width doubles, so a
// 2-second run has 20 points and a 2-hour one between 300 and 600, and memory stays bounded
// (each interval keeps a whole histogram, so merged runs and merged intervals stay exact).
#include <cstdint>
#include <vector>

#include "bench/latency_histogram.hpp"

namespace krest::cli {

struct BenchInterval {
  std::uint64_t records = 0, requests = 0, failed = 0;
  LatencyHistogram latency;  // of the requests that completed in it, microseconds

  void merge(const BenchInterval& other);
};

class BenchTimeline {
 public:
  static constexpr std::size_t kMaxIntervals = 600;
  static constexpr double kFirstWidth = 0.1;  // seconds

  // The interval holding the moment `seconds` after the start (made, and the timeline made
  // coarser, as needed).
  BenchInterval& at(double seconds);

  double width() const { return width_; }
  const std::vector<BenchInterval>& intervals() const { return intervals_; }

  // Adds `other`, which started `offset` seconds after this one (>= 0), interval by interval, at
  // the coarser of the two widths.
  void merge(BenchTimeline other, double offset);

  // For results read back: intervals of `width` seconds, as they were written.
  static BenchTimeline restore(double width, std::vector<BenchInterval> intervals);

 private:
  void coarsen();  // pairs of intervals into one, the width doubled

  double width_ = kFirstWidth;
  std::vector<BenchInterval> intervals_;
};

}  // namespace krest::cli
