// The network emulator's link, apart from its sockets: when bytes that enter it come out.
#include <catch2/catch.hpp>

#include "link_model.hpp"

using namespace krest::netem;
using namespace std::chrono_literals;

namespace {
const auto t0 = Clock::time_point{} + 1h;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
}  // namespace

TEST_CASE("an emulated link delays every piece by its one-way delay", "[unit][netem]") {
  LinkModel link({20ms, 0ms, 0, 25ms});
  ConnectionOrder order;
  CHECK(ms_between(t0, link.schedule(t0, 1000, order)) == Approx(20));
  CHECK(ms_between(t0, link.schedule(t0 + 5ms, 1 << 20, order)) == Approx(25));  // unlimited: size is free
  CHECK(link.admit_at(t0) == t0);
}

TEST_CASE("an emulated link sends one piece after another at its rate, shared by every connection", "[unit][netem]") {
  LinkModel link({10ms, 0ms, 1e6, 25ms});  // 1 MB/s: 1 ms per KB
  ConnectionOrder a, b;
  CHECK(ms_between(t0, link.schedule(t0, 1000, a)) == Approx(11));
  CHECK(ms_between(t0, link.schedule(t0, 1000, b)) == Approx(12));  // waits behind a's piece
  CHECK(ms_between(t0, link.schedule(t0, 2000, a)) == Approx(14));
  // The queue holds 4 ms of sending, under the 25 ms bound: no holding back yet.
  CHECK(link.admit_at(t0) == t0);
  for (int i = 0; i < 30; ++i) link.schedule(t0, 1000, b);  // now 34 ms queued
  CHECK(ms_between(t0, link.admit_at(t0)) == Approx(34 - 25));
  // An idle link starts afresh.
  ConnectionOrder c;
  CHECK(ms_between(t0 + 1s, link.schedule(t0 + 1s, 500, c)) == Approx(10.5));
  CHECK(link.quantum() == 1500);
  CHECK(LinkModel({0ms, 0ms, 125e6, 25ms}).quantum() == 15625);  // 125 µs of a gigabit
  CHECK(LinkModel({}).quantum() == 256 * 1024);
}

TEST_CASE("an emulated link's jitter never reorders a connection's bytes", "[unit][netem]") {
  LinkModel link({20ms, 8ms, 0, 25ms}, 42);
  ConnectionOrder order;
  Clock::time_point last{};
  double lowest = 1e9, highest = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto sent = t0 + std::chrono::microseconds(100 * i);
    const auto arrival = link.schedule(sent, 100, order);
    CHECK(arrival >= last);
    last = arrival;
    lowest = std::min(lowest, ms_between(sent, arrival));
    highest = std::max(highest, ms_between(sent, arrival));
  }
  CHECK(lowest >= 12);
  CHECK(lowest < 14);      // the spread reaches down to delay - jitter...
  CHECK(highest <= 28.5);  // ...and up to delay + jitter (plus the wait behind an earlier, later piece)
  CHECK(highest > 26);
}
