#include <catch2/catch.hpp>

#include <random>

#include "bench/latency_histogram.hpp"

using krest::cli::LatencyHistogram;

TEST_CASE("latency histogram: quantiles within 1/64 of the exact ones, from 1 us to hours", "[unit][cli]") {
  LatencyHistogram h;
  std::vector<std::uint64_t> values;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(8.0, 2.0);  // ~3 ms median, a long tail
  for (int i = 0; i < 200000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const auto exact = values[static_cast<std::size_t>(q * values.size()) - 1];
    const auto got = h.quantile(q);
    INFO("q " << q << " exact " << exact << " got " << got);
    CHECK(got >= exact);
    CHECK(static_cast<double>(got) <= static_cast<double>(exact) * (1 + 1.0 / 64) + 1);
  }
  CHECK(h.quantile(1.0) == values.back());
  CHECK(h.max() == values.back());
  CHECK(h.count() == 200000);

  LatencyHistogram small;
  for (std::uint64_t v = 0; v < 64; ++v) small.record(v);  // exact below 64 us
  CHECK(small.quantile(0.5) == 31);
  small.record(3ULL * 3600 * 1000 * 1000);  // three hours
  CHECK(small.quantile(1.0) == 3ULL * 3600 * 1000 * 1000);

  LatencyHistogram merged;
  merged.merge(h);
  merged.merge(small);
  CHECK(merged.count() == h.count() + small.count());
  CHECK(merged.max() == small.max());
}
