// The CPUs' idle share from /proc/stat, as compression = auto reads it: a baseline first, then a
// value every 30 ms (the machine's real counters; the clock passed in says when).
#include <catch2/catch.hpp>

#include <time.h>
#include <chrono>
#include <optional>
#include <thread>

#include "util/machine_load.hpp"

using krest::util::MachineLoad;
using krest::util::thread_busy_share;
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

TEST_CASE("a thread's busy share is its CPU time over the time since its last reading", "[unit][util]") {
  const auto thread_cpu = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  std::optional<double> idle, busy;
  // Each on a thread of its own: a thread's first reading is only its baseline.
  std::thread([&] {
    CHECK_FALSE(thread_busy_share(Clock::now()));
    std::this_thread::sleep_for(60ms);
    idle = thread_busy_share(Clock::now());
  }).join();
  std::thread([&] {
    CHECK_FALSE(thread_busy_share(Clock::now()));
    // 60 ms of this thread's own CPU time, however long the other tests make that take.
    for (const auto until = thread_cpu() + 60ms; thread_cpu() < until;) {
    }
    busy = thread_busy_share(Clock::now());
  }).join();
  REQUIRE(idle);
  REQUIRE(busy);
  CHECK(*idle < 0.2);
  CHECK(*busy > 0.2);
  CHECK(*busy <= 1);
  CHECK(*busy > *idle);
}
