// The in-flight limit at work: which connections it asks the pool to open ahead of need. On a long
// link the next startup round's, so that its requests find them handshaken; on a short one, or one
// not known long yet, only the limit's (a handshake there costs a few milliseconds of waiting, an
// unused connection CPU).
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "flow/in_flight_limit.hpp"

namespace {

using namespace std::chrono_literals;

// One startup round: as many requests out as the limit allows, answered after `rtt`.
void round_trip(krest::flow::InFlightLimit& limit, std::chrono::milliseconds rtt) {
  std::vector<krest::flow::Ticket> out;
  for (std::size_t i = 0; i < limit.value(); ++i) out.push_back(limit.sent(i + 1));
  std::this_thread::sleep_for(rtt);
  krest::http::Exchange answer;
  answer.response.result(200);
  answer.elapsed = rtt;
  for (const auto& ticket : out) limit.answered(ticket, answer);
}

}  // namespace

TEST_CASE("in-flight limit warms the next round's connections in startup on a long link only", "[unit][flow]") {
  const auto setting = krest::Concurrency::automatic(128);
  const auto pool = krest::Concurrency::automatic(256);
  SECTION("long") {
    krest::flow::InFlightLimit limit(setting, pool);
    // Before a round trip was measured, the link is not known long: only the limit's.
    CHECK(limit.wanted_connections() == limit.value());
    round_trip(limit, 15ms);
    round_trip(limit, 15ms);
    REQUIRE(limit.adaptive()->startup());
    CHECK(limit.wanted_connections() == 2 * limit.value());
  }
  SECTION("short") {
    krest::flow::InFlightLimit limit(setting, pool);
    round_trip(limit, 1ms);
    round_trip(limit, 1ms);
    REQUIRE(limit.adaptive()->startup());
    CHECK(limit.wanted_connections() == limit.value());
  }
  SECTION("known long by the first connect, before any round trip") {
    // The first answers come on the connections they opened: no round trip to go by for a round
    // or two, but a connect (TCP's and TLS's round trips) already tells the link's length.
    krest::flow::InFlightLimit limit(setting, pool);
    auto fastest = std::chrono::steady_clock::duration::max();
    limit.watch_connect_time([&] { return fastest; });
    CHECK(limit.wanted_connections() == limit.value());  // no connect yet
    fastest = 5ms;
    CHECK(limit.wanted_connections() == limit.value());
    fastest = 45ms;
    CHECK(limit.wanted_connections() == 2 * limit.value());
    // Longer thresholds (the consumer's larger fetches, from 30 ms) by the same test.
    CHECK(limit.link_known_at_least(20ms));
    CHECK_FALSE(limit.link_known_at_least(30ms));
    fastest = 65ms;
    CHECK(limit.link_known_at_least(30ms));
    // Once measured, the round trip decides.
    round_trip(limit, 1ms);
    round_trip(limit, 1ms);
    REQUIRE(limit.adaptive()->startup());
    CHECK(limit.wanted_connections() == limit.value());
    CHECK_FALSE(limit.link_known_at_least(30ms));
  }
  SECTION("pinned") {
    krest::flow::InFlightLimit limit(krest::Concurrency::fixed(24), pool);
    CHECK(limit.wanted_connections() == 24);
  }
}

TEST_CASE("in-flight limit starts wider once a connect shows the link long", "[unit][flow]") {
  krest::flow::InFlightLimit limit(krest::Concurrency::automatic(192), krest::Concurrency::automatic(256));
  auto fastest = std::chrono::steady_clock::duration::max();
  limit.watch_connect_time([&] { return fastest; });
  CHECK_FALSE(limit.learn_link());  // no connect yet
  fastest = 16ms;                   // two round trips of 8 ms: short
  CHECK_FALSE(limit.learn_link());
  CHECK(limit.value() == 16);
  fastest = 80ms;  // 40 ms
  CHECK(limit.learn_link());
  CHECK(limit.value() == 64);
  CHECK_FALSE(limit.learn_link());  // told once is enough
  // Pinned, nothing to learn.
  krest::flow::InFlightLimit pinned(krest::Concurrency::fixed(8), krest::Concurrency::automatic(256));
  pinned.watch_connect_time([] { return std::chrono::steady_clock::duration(160ms); });
  CHECK_FALSE(pinned.learn_link());
  CHECK(pinned.value() == 8);

  // Started narrower for a shorter link (the producer's 8 up to 5 ms): as wide as the default once
  // the link shows long, by the same 16 per 10 ms of round trip.
  krest::flow::InFlightLimit narrow(krest::Concurrency::automatic(192), krest::Concurrency::automatic(256), 1, 8, 5ms);
  fastest = 8ms;  // two round trips of 4 ms: short
  narrow.watch_connect_time([&] { return fastest; });
  CHECK_FALSE(narrow.learn_link());
  CHECK(narrow.value() == 8);
  fastest = 80ms;  // 40 ms
  CHECK(narrow.learn_link());
  CHECK(narrow.value() == 64);

  // The same start for a shorter link (the consumer's 16 up to 6 ms): wider on a long one.
  krest::flow::InFlightLimit steeper(krest::Concurrency::automatic(192), krest::Concurrency::automatic(256), 1, 16,
                                     6ms);
  fastest = 10ms;  // 5 ms: short
  steeper.watch_connect_time([&] { return fastest; });
  CHECK_FALSE(steeper.learn_link());
  CHECK(steeper.value() == 16);
  fastest = 60ms;  // 30 ms: five times as long
  CHECK(steeper.learn_link());
  CHECK(steeper.value() == 80);
}

TEST_CASE("in-flight limit weighs requests in units and holds their number to the setting", "[unit][flow]") {
  // Requests of 4 units each (POSTs of 2000 records in 500-record units): the adapted limit (in units) may reach
  // the setting's bound in such requests, but never more requests than the setting.
  const auto pool = krest::Concurrency::automatic(256);
  krest::flow::InFlightLimit limit(krest::Concurrency::automatic(8), pool, 4);
  REQUIRE(limit.value() == 16);  // the initial limit, in units (within 8 requests of 4)
  CHECK(limit.room(3, 12));      // 12 units out: room for more
  CHECK_FALSE(limit.room(4, 16));
  CHECK_FALSE(limit.room(8, 8));  // 8 requests of one unit: the setting's bound
  CHECK(limit.requests(4) == 4);
  CHECK(limit.requests(1) == 8);  // 16 units of one each, but 8 requests at most
  CHECK(limit.wanted_connections(4) == 4);
  CHECK(limit.wanted_connections(1) == 8);
  // Pinned, it counts requests whatever they weigh.
  krest::flow::InFlightLimit pinned(krest::Concurrency::fixed(8), pool, 4);
  CHECK(pinned.room(7, 28));
  CHECK_FALSE(pinned.room(8, 8));
  CHECK(pinned.requests(4) == 8);
}
