#pragma once
// A latency histogram with fixed buckets (Prometheus style), cheap enough for every request:
// observe() is two relaxed atomic adds.
#include <array>
#include <atomic>
#include <cstdint>

namespace krest::metrics {

class LatencyHistogram {
 public:
  // Upper bounds in seconds; the last bucket (+Inf) is implicit.
  static constexpr std::array<double, 16> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
  struct Snapshot {
    std::array<std::uint64_t, kBounds.size() + 1> buckets{};  // not cumulative
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };

  void observe(double seconds);
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace krest::metrics
