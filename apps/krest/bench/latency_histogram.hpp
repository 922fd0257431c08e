#pragma once
// Latencies in microseconds in a fixed-size, HDR-style histogram: each power of two is split into
// 64 linear buckets, so any value is kept within 1/64 (1.6%) of itself, from 1 us to over a day,
// in 2,500 counters whatever the run's length.
#include <array>
#include <cstdint>
#include <vector>

namespace krest::cli {

class LatencyHistogram {
 public:
  void record(std::uint64_t micros);
  void merge(const LatencyHistogram& other);

  // The counters that are not zero, as (the highest value the bucket holds, count), lowest first:
  // with sum() and max() all a histogram is, so one written out and read back (restore) merges
  // exactly like the original.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets() const;
  static LatencyHistogram restore(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& buckets,
                                  std::uint64_t sum, std::uint64_t max);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t sum() const { return sum_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The value at quantile q (0 < q <= 1): the highest value its bucket can hold, capped at max().
  std::uint64_t quantile(double q) const;

  // (quantile, value) pairs for a percentile chart: from the minimum through 99.999% to the maximum.
  std::vector<std::pair<double, std::uint64_t>> spectrum() const;

 private:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two
  static std::size_t index(std::uint64_t v);
  static std::uint64_t upper_bound(std::size_t i);

  std::array<std::uint64_t, (44 - kSubBits + 1) << kSubBits> counts_{};  // up to 2^44 us, ~200 days
  std::uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

}  // namespace krest::cli
