#include "bench/bench_timeline.hpp"

#include <cmath>

namespace krest::cli {

void BenchInterval::merge(const BenchInterval& other) {
  records += other.records;
  requests += other.requests;
  failed += other.failed;
  latency.merge(other.latency);
}

BenchInterval& BenchTimeline::at(double seconds) {
  auto index = static_cast<std::size_t>(std::max(0.0, seconds) / width_);
  while (index >= kMaxIntervals) {
    coarsen();
    index = static_cast<std::size_t>(std::max(0.0, seconds) / width_);
  }
  if (intervals_.size() <= index) intervals_.resize(index + 1);
  return intervals_[index];
}

void BenchTimeline::coarsen() {
  std::vector<BenchInterval> coarser((intervals_.size() + 1) / 2);
  for (std::size_t i = 0; i < intervals_.size(); ++i) coarser[i / 2].merge(intervals_[i]);
  intervals_ = std::move(coarser);
  width_ *= 2;
}

void BenchTimeline::merge(BenchTimeline other, double offset) {
  while (other.width_ < width_ * 0.999) other.coarsen();
  while (width_ < other.width_ * 0.999) coarsen();
  // An interval of `other` goes where its middle falls on this timeline.
  for (std::size_t i = 0; i < other.intervals_.size(); ++i)
    at(offset + (static_cast<double>(i) + 0.5) * other.width_).merge(other.intervals_[i]);
}

BenchTimeline BenchTimeline::restore(double width, std::vector<BenchInterval> intervals) {
  BenchTimeline t;
  t.width_ = width > 0 ? width : kFirstWidth;
  t.intervals_ = std::move(intervals);
  while (t.intervals_.size() > kMaxIntervals) t.coarsen();
  return t;
}

}  // namespace krest::cli
