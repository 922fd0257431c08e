// The CPUs' idle share from /proc/stat, as compression = auto reads it: a baseline first, then a
// value every 30 ms (the machine's real counters; the clock passed in says when).
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "util/machine_load.hpp"

using krest::util::MachineLoad;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST_CASE("machine load reads a baseline first and then a value every 30 ms", "[unit][util]") {
  MachineLoad load;
  const auto t = Clock::now();
  CHECK_FALSE(load.idle_share(t));  // the baseline only
  // The counters move in 10 ms ticks: let a few pass for real.
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(load.idle_share(t + 20ms));
  const auto first = load.idle_share(t + 30ms);
  REQUIRE(first);
  CHECK(*first >= 0);
  CHECK(*first <= 1);
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(load.idle_share(t + 50ms));  // 20 ms after the last value
  CHECK(load.idle_share(t + 60ms));
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(load.idle_share(t + 100ms, 100ms));  // a longer interval asked for
  CHECK(load.idle_share(t + 160ms, 100ms));
}
