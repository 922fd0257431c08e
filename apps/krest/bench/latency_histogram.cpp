#include "bench/latency_histogram.hpp"

#include <algorithm>
#include <bit>

namespace krest::cli {

// Values below 64 have a bucket each; above, the bucket is the value's top 7 bits (its power of
// two and the next 6 bits below it).
std::size_t LatencyHistogram::index(std::uint64_t v) {
  if (v < (1u << kSubBits)) return static_cast<std::size_t>(v);
  const int magnitude = std::bit_width(v) - 1;  // >= kSubBits
  const int shift = magnitude - kSubBits;
  const auto sub = static_cast<std::size_t>((v >> shift) & ((1u << kSubBits) - 1));
  return (static_cast<std::size_t>(shift + 1) << kSubBits) + sub;
}

std::uint64_t LatencyHistogram::upper_bound(std::size_t i) {
  if (i < (1u << kSubBits)) return i;
  const auto shift = static_cast<int>(i >> kSubBits) - 1;
  const std::uint64_t sub = i & ((1u << kSubBits) - 1);
  return (((std::uint64_t{1} << kSubBits) | sub) << shift) + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(std::uint64_t micros) {
  const auto i = std::min(index(micros), counts_.size() - 1);
  ++counts_[i];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> LatencyHistogram::buckets() const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i]) out.emplace_back(upper_bound(i), counts_[i]);
  return out;
}

LatencyHistogram LatencyHistogram::restore(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& buckets,
                                           std::uint64_t sum, std::uint64_t max) {
  LatencyHistogram h;
  for (const auto& [value, count] : buckets) {
    h.counts_[std::min(index(value), h.counts_.size() - 1)] += count;
    h.count_ += count;
  }
  h.sum_ = sum;
  h.max_ = max;
  return h;
}

std::uint64_t LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(upper_bound(i), max_);
  }
  return max_;
}

std::vector<std::pair<double, std::uint64_t>> LatencyHistogram::spectrum() const {
  std::vector<std::pair<double, std::uint64_t>> out;
  for (double q : {0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999})
    out.emplace_back(q, q == 0 ? quantile(1e-12) : quantile(q));
  out.emplace_back(1.0, max_);
  return out;
}

}  // namespace krest::cli
