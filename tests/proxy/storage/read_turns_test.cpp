// ReadTurns alone: whose turn a partition's fetch stream is, with scripted arrivals and streams.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "storage/kafka/read_turns.hpp"

using krest::proxy::ReadTurns;
using Ticket = ReadTurns::Ticket;

namespace {

ReadTurns::Stream at(std::int64_t next, std::set<std::int64_t> kept = {}) {
  ReadTurns::Stream s;
  s.started = true;
  s.next = next;
  s.read_on_limit = 8000;
  s.kept = [kept](std::int64_t o) { return kept.count(o) > 0; };
  return s;
}

ReadTurns::Stream stopped() {
  ReadTurns::Stream s;
  s.read_on_limit = 8000;
  return s;
}

// A partition's fetch stream as the reader moves it: a request at the stream's position or a
// little ahead reads on (keeping what it passes), a kept page is served from memory, anything
// else restarts the stream at its offset. Counts the restarts.
struct StreamModel {
  bool started = false;
  std::int64_t next = 0;
  std::set<std::int64_t> kept;  // page starts kept for their requests
  int restarts = 0;

  void serve(std::int64_t offset, std::int64_t page) {
    if (kept.erase(offset)) {
      if (offset + page != next) return;  // more kept ahead, or the stream is elsewhere
    } else if (started && offset >= next && offset - next <= 8000) {
      for (std::int64_t o = next; o < offset; o += page) kept.insert(o);
    } else {
      ++restarts;
      kept.clear();
      started = true;
    }
    next = offset + page;
  }
  ReadTurns::Stream stream() const {
    auto s = at(next, kept);
    s.started = started;
    return s;
  }
};

}  // namespace

TEST_CASE("read turns: a request finding the partition free reads at once, the rest wait their turn",
          "[unit][kafka]") {
  ReadTurns turns;
  auto [first, now] = turns.arrive(0);
  CHECK(now);
  auto [second, waits] = turns.arrive(500);
  CHECK_FALSE(waits);
  CHECK(turns.busy());
  CHECK(turns.waiting() == 1);
  CHECK(turns.finish(at(500)) == second);
  CHECK(turns.busy());  // handed on, not freed
  CHECK(turns.finish(at(1000)) == std::nullopt);
  CHECK_FALSE(turns.busy());
  CHECK(turns.arrive(1000).second);
  CHECK(first != second);
}

TEST_CASE("read turns: a window's pages arriving in any order are served in offset order from the stream",
          "[unit][kafka]") {
  ReadTurns turns;
  REQUIRE(turns.arrive(0).second);
  std::map<Ticket, std::int64_t> offset_of;
  for (std::int64_t o : {3000, 1500, 500, 2500, 1000, 2000}) offset_of[turns.arrive(o).first] = o;
  std::vector<std::int64_t> order;
  std::int64_t next = 500;
  while (auto t = turns.finish(at(next))) {
    order.push_back(offset_of.at(*t));
    next = offset_of.at(*t) + 500;
  }
  CHECK(order == std::vector<std::int64_t>{500, 1000, 1500, 2000, 2500, 3000});
}

TEST_CASE("read turns: records kept for a request go before the stream's position, far ahead waits its turn",
          "[unit][kafka]") {
  ReadTurns turns;
  REQUIRE(turns.arrive(0).second);
  const auto far = turns.arrive(50000).first;   // a restart
  const auto ahead = turns.arrive(9000).first;  // read on to from 1000
  const auto kept = turns.arrive(400).first;    // kept by a request that read past it
  CHECK(turns.finish(at(1000, {400})) == kept);
  CHECK(turns.finish(at(1000)) == ahead);
  CHECK(turns.finish(at(9500)) == far);
}

TEST_CASE("read turns: restarts go lowest first, and a request passed over too often goes next", "[unit][kafka]") {
  ReadTurns turns;
  REQUIRE(turns.arrive(0).second);
  const auto a = turns.arrive(90000).first;
  const auto b = turns.arrive(70000).first;
  CHECK(turns.finish(stopped()) == b);  // neither near: the lowest
  CHECK(turns.finish(stopped()) == a);

  // A windowed reader at the stream keeps sending pages; another reader far away still gets in.
  const auto starved = turns.arrive(1000000).first;
  std::int64_t next = 500;
  int served_before = 0;
  for (int i = 0; i < 2 * ReadTurns::kMaxPassed; ++i) {
    turns.arrive(next);
    auto t = turns.finish(at(next));
    REQUIRE(t);
    if (*t == starved) break;
    ++served_before;
    next += 500;
  }
  CHECK(served_before == ReadTurns::kMaxPassed);
}

TEST_CASE("read turns: a request that gives up leaves the queue, one already given the turn must take it",
          "[unit][kafka]") {
  ReadTurns turns;
  REQUIRE(turns.arrive(0).second);
  const auto gone = turns.arrive(500).first;
  const auto stays = turns.arrive(1000).first;
  CHECK(turns.leave(gone));
  CHECK(turns.waiting() == 1);
  CHECK(turns.finish(at(500)) == stays);
  CHECK_FALSE(turns.leave(stays));  // it holds the turn now
  CHECK(turns.busy());
  CHECK(turns.finish(at(1500)) == std::nullopt);
  CHECK_FALSE(turns.busy());
}

TEST_CASE("read turns: windows of pages in random arrival order restart the stream only while the first window settles",
          "[unit][kafka]") {
  std::mt19937 rng(11);
  for (std::int64_t window : {2, 8, 32, 64}) {
    CAPTURE(window);
    ReadTurns turns;
    StreamModel model;
    const std::int64_t page = 500;
    std::map<Ticket, std::int64_t> offset_of;
    std::set<std::int64_t> unserved;  // pages asked for and not yet answered
    std::int64_t sent = 0;            // pages asked for so far
    std::int64_t holder = -1;         // the offset being read
    // As the engine's FetchWindow: pages ahead of the lowest unanswered one, at most twice the window.
    auto send = [&] {
      std::vector<std::int64_t> pages;
      const std::int64_t lowest = unserved.empty() ? sent : *unserved.begin() / page;
      while (sent < lowest + 2 * window && static_cast<std::int64_t>(unserved.size() + pages.size()) < window)
        pages.push_back(sent++ * page);
      std::shuffle(pages.begin(), pages.end(), rng);  // several connections: any order
      for (auto o : pages) {
        unserved.insert(o);
        auto [t, now] = turns.arrive(o);
        if (now) holder = o;
        else offset_of[t] = o;
      }
    };
    send();
    int settled_restarts = 0;
    for (int served = 0; served < 2000; ++served) {
      REQUIRE(holder >= 0);
      if (served == 4 * window) settled_restarts = model.restarts;
      model.serve(holder, page);
      unserved.erase(holder);
      send();
      auto t = turns.finish(model.stream());
      REQUIRE(t);
      holder = offset_of.at(*t);
      offset_of.erase(*t);
    }
    // The first start; when the first page to arrive was not the lowest, one back to the pages
    // below it and one on to those above; then none.
    CHECK(settled_restarts <= 3);
    CHECK(model.restarts == settled_restarts);
  }
}
