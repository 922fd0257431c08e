// FetchWindow alone: responses in any order, short answers, overlaps and the end of the log.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "consume/fetch_window.hpp"

using krest::ConsumedRecord;
using krest::consume::FetchWindow;

namespace {

// A log holding offsets [first, end) except those in `missing` (compacted away).
struct FakeLog {
  std::int64_t first = 0, end = 0;
  std::vector<std::int64_t> missing;
  std::size_t max_records_per_answer = 1000000;  // like the 6 MB cap

  // The proxy's answer to a request at `start` for `count` records: records and NextOffset.
  std::pair<std::vector<ConsumedRecord>, std::int64_t> answer(std::int64_t start, std::int32_t count) const {
    std::vector<ConsumedRecord> out;
    std::int64_t o = std::max(start, first);
    if (start >= end) return {out, start};
    while (o < end && out.size() < static_cast<std::size_t>(count) && out.size() < max_records_per_answer) {
      if (std::find(missing.begin(), missing.end(), o) == missing.end()) {
        ConsumedRecord r;
        r.offset = o;
        r.value = std::to_string(o);
        out.push_back(r);
      }
      ++o;
    }
    // Nothing left in range but gaps: the answer still moves past them.
    return {out, out.empty() ? std::min(o, end) : out.back().offset + 1};
  }
};

// Drives a window against the log, answering in-flight requests in a random order, until caught
// up; returns every offset delivered, in delivery order.
std::vector<std::int64_t> drain(FetchWindow& w, const FakeLog& log, std::int32_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::int64_t> delivered, in_flight;
  for (int steps = 0; steps < 100000 && !w.caught_up(); ++steps) {
    while (auto s = w.next_request()) in_flight.push_back(*s);
    REQUIRE_FALSE(in_flight.empty());
    std::swap(in_flight[rng() % in_flight.size()], in_flight.back());
    const auto start = in_flight.back();
    in_flight.pop_back();
    auto [records, next] = log.answer(start, count);
    if (rng() % 2) w.header(start, next);
    w.completed(start, std::move(records), next);
    while (auto chunk = w.take_next())
      for (auto& r : *chunk) delivered.push_back(r.offset);
  }
  return delivered;
}

std::vector<std::int64_t> expected(const FakeLog& log, std::int64_t from) {
  std::vector<std::int64_t> out;
  for (auto o = std::max(from, log.first); o < log.end; ++o)
    if (std::find(log.missing.begin(), log.missing.end(), o) == log.missing.end()) out.push_back(o);
  return out;
}

}  // namespace

TEST_CASE("a window delivers every offset once and in order whatever order answers come in", "[unit][engine]") {
  FakeLog log{0, 1000, {}};
  for (unsigned seed = 1; seed <= 20; ++seed) {
    FetchWindow w(0, 37, 8);
    CHECK(drain(w, log, 37, seed) == expected(log, 0));
    CHECK(w.position() == 1000);
  }
}

TEST_CASE("short answers leave gaps that are asked for again, and overlaps are dropped", "[unit][engine]") {
  FakeLog log{0, 800, {5, 6, 7, 300, 301, 799}};
  log.max_records_per_answer = 11;  // every answer shorter than asked: the 6 MB cap at work
  for (unsigned seed = 1; seed <= 20; ++seed) {
    FetchWindow w(0, 50, 6);
    CHECK(drain(w, log, 50, seed) == expected(log, 0));
  }
}

TEST_CASE("a start below the earliest retained offset begins at the earliest", "[unit][engine]") {
  FakeLog log{400, 900, {}};
  FetchWindow w(0, 64, 4);
  CHECK(drain(w, log, 64, 7) == expected(log, 0));
  CHECK(w.position() == 900);
}

TEST_CASE("at the end of the log nothing more is asked until poll_again, then only the position", "[unit][engine]") {
  FetchWindow w(10, 100, 4);
  auto first = w.next_request();
  REQUIRE(first == 10);
  w.header(10, 10);
  w.completed(10, {}, 10);
  CHECK_FALSE(w.take_next());
  CHECK(w.caught_up());
  CHECK_FALSE(w.next_request());
  w.poll_again();
  CHECK_FALSE(w.caught_up());
  CHECK(w.next_request() == 10);
  CHECK_FALSE(w.next_request());  // one request only until the log is seen to go on
}

TEST_CASE("the next request goes out when a header arrives, before that body", "[unit][engine]") {
  FetchWindow w(0, 100, 1);
  CHECK(w.next_request() == 0);
  CHECK_FALSE(w.next_request());  // window of one: the first awaits its header
  w.header(0, 100);
  CHECK(w.next_request() == 100);  // NextOffset known: the next range goes at once
  CHECK(w.in_flight() == 2);
}

TEST_CASE("a failed request is asked for again", "[unit][engine]") {
  FetchWindow w(0, 10, 2);
  CHECK(w.next_request() == 0);
  CHECK(w.next_request() == 10);
  w.failed(0);
  CHECK(w.next_request() == 0);
}

TEST_CASE("take_next hands each answer on as its own vector, in offset order", "[unit][consume]") {
  FakeLog log;
  log.end = 300;
  FetchWindow w(0, 100, 3);
  std::vector<std::int64_t> starts;
  while (auto s = w.next_request()) starts.push_back(*s);
  REQUIRE(starts == std::vector<std::int64_t>{0, 100, 200});
  // The later answers first: nothing can move until the one at the position comes.
  for (std::int64_t start : {200, 100}) {
    auto [records, next] = log.answer(start, 100);
    w.completed(start, std::move(records), next);
    CHECK_FALSE(w.take_next());
  }
  auto [records, next] = log.answer(0, 100);
  const auto* storage = records.data();
  w.completed(0, std::move(records), next);
  for (std::int64_t start : {0, 100, 200}) {
    auto chunk = w.take_next();
    REQUIRE(chunk);
    REQUIRE(chunk->size() == 100);
    CHECK(chunk->front().offset == start);
    if (start == 0) CHECK(chunk->data() == storage);  // the parsed vector itself, not a copy
  }
  CHECK_FALSE(w.take_next());
  CHECK(w.position() == 300);
}

TEST_CASE("a count changed between requests holds for those after, each range asked as it was sent", "[unit][consume]") {
  FakeLog log;
  log.end = 10000;
  FetchWindow w(0, 500, 4);
  std::vector<std::pair<std::int64_t, std::int32_t>> sent;
  const auto send = [&](std::int32_t count) {
    w.set_count(count);
    auto start = w.next_request();
    REQUIRE(start);
    sent.emplace_back(*start, count);
    return *start;
  };
  CHECK(send(500) == 0);
  CHECK(send(2000) == 500);  // fetches grew: the next range starts where the last one asked ends
  CHECK(send(2000) == 2500);
  CHECK(send(500) == 4500);
  // Answered last first, each for the count it asked: every offset once, in order.
  std::vector<std::int64_t> delivered;
  for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
    auto [records, next] = log.answer(it->first, it->second);
    w.completed(it->first, std::move(records), next);
    while (auto chunk = w.take_next())
      for (auto& r : *chunk) delivered.push_back(r.offset);
  }
  REQUIRE(delivered.size() == 5000);
  for (std::size_t i = 0; i < delivered.size(); ++i) REQUIRE(delivered[i] == static_cast<std::int64_t>(i));
  CHECK(w.position() == 5000);
}
