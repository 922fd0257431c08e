#include <catch2/catch.hpp>

#include "bench/rate_search.hpp"
#include "cli/usage_error.hpp"

using krest::cli::LatencyObjective;
using krest::cli::RateSearch;
using krest::cli::UsageError;

namespace {

// Runs the search against a proxy that keeps the objective up to `limit` requests/s.
RateSearch search_against(double probe, double limit) {
  RateSearch search(probe);
  while (auto rate = search.next()) search.record(*rate, *rate <= limit);
  return search;
}

}  // namespace

TEST_CASE("rate search: finds a limit far below a fast failing probe within 5 percent", "[unit][cli]") {
  // A probe whose requests fail fast (a quota's 429s) runs far above what is sustained.
  const auto s = search_against(1000, 200);
  CHECK(s.best() <= 200);
  CHECK(s.best() >= 190);
  CHECK(s.steps() <= 12);
}

TEST_CASE("rate search: near the probe, and above it when the probe's own loops were the limit", "[unit][cli]") {
  const auto near = search_against(1000, 930);
  CHECK(near.best() <= 930);
  CHECK(near.best() >= 930 * 0.95);
  const auto above = search_against(100, 1000);  // every step keeps: the search looks higher
  CHECK(above.best() > 150);
  CHECK(above.steps() <= 12);
  const auto none = search_against(100, 0);  // nothing kept
  CHECK(none.best() == 0);
  CHECK(none.steps() == 12);
}

TEST_CASE("rate search: a noisy verdict does not leave the search stuck or the best above a kept rate", "[unit][cli]") {
  RateSearch s(1000);
  s.record(*s.next(), false);  // 900 broke
  s.record(450, true);
  s.record(600, false);
  s.record(500, true);
  s.record(480, false);  // below a kept rate: noise
  CHECK(s.best() == 500);
  REQUIRE(s.next().has_value());
  CHECK(*s.next() > 500);
}

TEST_CASE("latency objective: percentiles, max and units, and clear errors", "[unit][cli]") {
  auto o = LatencyObjective::parse("p99=50ms");
  CHECK(o.quantile == Approx(0.99));
  CHECK(o.bound_ms == Approx(50));
  o = LatencyObjective::parse("p99.9=1.5s");
  CHECK(o.quantile == Approx(0.999));
  CHECK(o.bound_ms == Approx(1500));
  o = LatencyObjective::parse("max=800us");
  CHECK(o.quantile == 1.0);
  CHECK(o.bound_ms == Approx(0.8));
  for (const char* bad : {"p99", "p99=50", "p100=5ms", "p0=5ms", "q99=5ms", "p99=-1ms", "p99=5min", "p99x=5ms", "=5ms"})
    CHECK_THROWS_AS(LatencyObjective::parse(bad), UsageError);
}
