// FetchTurn alone: one consume request's turn at a partition's fetch stream, fed scripted offsets
// and messages as librdkafka would hand them out.
#include <catch2/catch.hpp>

#include <vector>

#include "storage/kafka/fetch_turn.hpp"

using krest::proxy::FetchTurn;
using Kind = FetchTurn::Message::Kind;
using Verdict = FetchTurn::Verdict;
using namespace std::chrono_literals;

namespace {

const FetchTurn::Clock::time_point t0{};
const auto kDeadline = t0 + 5s;

FetchTurn::Request ask(std::int64_t offset, std::size_t records = 500, std::size_t bytes = 1 << 20) {
  FetchTurn::Request r;
  r.offset = offset;
  r.max_records = records;
  r.max_bytes = bytes;
  return r;
}

FetchTurn::Stream at(std::int64_t next, bool kept_at_offset = false) {
  FetchTurn::Stream s;
  s.started = true;
  s.next = next;
  s.kept_at_offset = kept_at_offset;
  return s;
}

FetchTurn::Offsets offsets(std::int64_t low, std::int64_t high) {
  FetchTurn::Offsets o;
  o.low = low;
  o.high = high;
  return o;
}

FetchTurn::Message record(std::int64_t offset, std::size_t bytes = 100) {
  FetchTurn::Message m;
  m.kind = Kind::record;
  m.offset = offset;
  m.bytes = bytes;
  return m;
}

FetchTurn::Message event(Kind kind, std::int64_t offset = 0) {
  FetchTurn::Message m;
  m.kind = kind;
  m.offset = offset;
  return m;
}

// Feeds records from..to-1 and returns the verdicts.
std::vector<Verdict> feed(FetchTurn& turn, std::int64_t from, std::int64_t to) {
  std::vector<Verdict> v;
  for (auto o = from; o < to; ++o) v.push_back(turn.on_message(record(o), t0));
  return v;
}

}  // namespace

TEST_CASE("fetch turn: a request where the stream stands reads on, one elsewhere restarts it", "[fetch_turn]") {
  const auto known = offsets(0, 1000);
  FetchTurn here(ask(200), at(200), kDeadline);
  CHECK_FALSE(here.must_ask(known));  // the stream's own fetches know the end
  CHECK(here.must_ask(std::nullopt));
  REQUIRE(here.begin(known) == FetchTurn::Start::read_on);
  CHECK(here.poll_wait(t0) == 20ms);

  FetchTurn behind(ask(100), at(200), kDeadline);
  CHECK(behind.must_ask(known));
  REQUIRE(behind.begin(known) == FetchTurn::Start::restart);
  CHECK(behind.next_offset() == 100);
  CHECK(behind.stream_next() == 100);

  FetchTurn far(ask(200 + FetchTurn::kReadOnRecords + 1), at(200), kDeadline);
  CHECK(far.must_ask(known));
  CHECK(far.begin(offsets(0, 20000)) == FetchTurn::Start::restart);

  FetchTurn stopped(ask(200), FetchTurn::Stream{}, kDeadline);
  CHECK(stopped.must_ask(known));
  CHECK(stopped.begin(known) == FetchTurn::Start::restart);
}

TEST_CASE("fetch turn: at or past the end the answer is empty and a request ahead asks the broker", "[fetch_turn]") {
  FetchTurn past(ask(1000), at(1000), kDeadline);
  CHECK(past.must_ask(offsets(0, 1000)) == false);  // at the stream: its fetches would have seen more
  FetchTurn ahead(ask(1200), at(1000), kDeadline);
  CHECK(ahead.must_ask(offsets(0, 1000)));  // ahead of the stream at the end it saw: ask
  REQUIRE(ahead.begin(offsets(0, 1000)) == FetchTurn::Start::nothing);
  CHECK(ahead.next_offset() == 1200);
  CHECK(ahead.stream_next() == 1000);  // the stream is left where it was
  CHECK_FALSE(ahead.wants_more());
  CHECK_FALSE(ahead.timed_out(kDeadline + 1s));
}

TEST_CASE("fetch turn: out of order pages keep what they pass and the page behind is served from it",
          "[fetch_turn]") {
  // A windowed client's second page (500..999) arrives before its first (0..499).
  FetchTurn second(ask(500), at(0), kDeadline);
  REQUIRE(second.begin(offsets(0, 5000)) == FetchTurn::Start::read_on);
  for (auto v : feed(second, 0, 500)) CHECK(v == Verdict::keep_ahead);
  for (auto v : feed(second, 500, 1000)) CHECK(v == Verdict::take);
  CHECK_FALSE(second.wants_more());
  CHECK(second.records() == 500);
  CHECK(second.next_offset() == 1000);
  CHECK(second.stream_next() == 1000);

  // The first page: every record was kept for it, and the stream stays at 1000.
  FetchTurn first(ask(0), at(1000, true), kDeadline);
  CHECK_FALSE(first.must_ask(offsets(0, 5000)));
  REQUIRE(first.begin(offsets(0, 5000)) == FetchTurn::Start::from_kept);
  int taken = 0;
  while (first.wants_kept()) taken += first.take_kept(100) ? 1 : 0;
  CHECK(taken == 500);
  CHECK_FALSE(first.wants_more());
  CHECK(first.next_offset() == 500);
  CHECK(first.stream_next() == 1000);
}

TEST_CASE("fetch turn: kept records that end where the stream stands read on, elsewhere they end the answer",
          "[fetch_turn]") {
  FetchTurn joins(ask(0, 20), at(10, true), kDeadline);
  REQUIRE(joins.begin(offsets(0, 100)) == FetchTurn::Start::from_kept);
  for (int i = 0; i < 10; ++i) REQUIRE(joins.take_kept(100));
  CHECK_FALSE(joins.take_kept(std::nullopt));  // nothing kept at 10: the stream is there
  REQUIRE(joins.wants_more());
  for (auto v : feed(joins, 10, 20)) CHECK(v == Verdict::take);
  CHECK(joins.next_offset() == 20);
  CHECK(joins.stream_next() == 20);

  FetchTurn gap(ask(0, 20), at(10, true), kDeadline);
  REQUIRE(gap.begin(offsets(0, 100)) == FetchTurn::Start::from_kept);
  for (int i = 0; i < 5; ++i) REQUIRE(gap.take_kept(100));
  CHECK_FALSE(gap.take_kept(std::nullopt));  // 5..9 were not kept (bounded): answer 0..4
  CHECK_FALSE(gap.wants_more());
  CHECK(gap.next_offset() == 5);
  CHECK_FALSE(gap.timed_out(kDeadline + 1s));  // it never waited on the stream
}

TEST_CASE("fetch turn: an answer takes at least one record and stops at its bytes", "[fetch_turn]") {
  FetchTurn turn(ask(0, 500, 250), at(0), kDeadline);
  REQUIRE(turn.begin(offsets(0, 100)) == FetchTurn::Start::read_on);
  CHECK(turn.on_message(record(0, 1000), t0) == Verdict::take);  // larger than the bound, but the first
  CHECK(turn.on_message(record(1, 10), t0) == Verdict::hold);
  CHECK(turn.records() == 1);
  CHECK(turn.next_offset() == 1);
  CHECK(turn.stream_next() == 1);  // the held record is the stream's next

  FetchTurn kept(ask(0, 500, 250), at(50, true), kDeadline);
  REQUIRE(kept.begin(offsets(0, 100)) == FetchTurn::Start::from_kept);
  CHECK(kept.take_kept(200));
  CHECK_FALSE(kept.take_kept(200));  // left kept
  CHECK_FALSE(kept.wants_kept());
  CHECK(kept.next_offset() == 1);
}

TEST_CASE("fetch turn: ends of partition below the end asked about are old news", "[fetch_turn]") {
  // A fetch that ran ahead met the end at 50 before records up to 100 were written.
  FetchTurn turn(ask(50), at(50), kDeadline);
  REQUIRE(turn.begin(offsets(0, 100)) == FetchTurn::Start::read_on);
  CHECK(turn.on_message(event(Kind::end_of_partition, 50), t0) == Verdict::drop);
  REQUIRE(turn.wants_more());
  for (auto v : feed(turn, 50, 100)) CHECK(v == Verdict::take);
  CHECK_FALSE(turn.wants_more());
  CHECK(turn.next_offset() == 100);
}

TEST_CASE("fetch turn: an end reported past the turn is waited on for a grace, then the gap is skipped",
          "[fetch_turn]") {
  FetchTurn at_end(ask(0), at(0), kDeadline);
  REQUIRE(at_end.begin(offsets(0, 10)) == FetchTurn::Start::read_on);
  feed(at_end, 0, 4);
  // The end at 10 reported while records 4..9 (a compacted gap, or on their way) have not come.
  CHECK(at_end.on_message(event(Kind::end_of_partition, 10), t0) == Verdict::drop);
  CHECK(at_end.poll_wait(t0 + 100ms).has_value());  // within the grace: records may still come
  CHECK(at_end.on_message(record(4), t0 + 100ms) == Verdict::take);
  // A record resets the grace; a new end starts it again, and past it the gap is skipped.
  CHECK(at_end.on_message(event(Kind::end_of_partition, 10), t0 + 200ms) == Verdict::drop);
  CHECK(at_end.poll_wait(t0 + 400ms).has_value());
  CHECK_FALSE(at_end.poll_wait(t0 + 200ms + FetchTurn::kEndGrace));
  CHECK(at_end.records() == 5);
  CHECK(at_end.next_offset() == 10);
  CHECK(at_end.stream_next() == 10);

}

TEST_CASE("fetch turn: retention below the start restarts at the earliest, three times at most", "[fetch_turn]") {
  FetchTurn turn(ask(0), at(0), kDeadline);
  // The earliest retained is 100: the stream restarts there.
  REQUIRE(turn.begin(offsets(100, 1000)) == FetchTurn::Start::restart);
  CHECK(turn.next_offset() == 100);
  // Retention moves on while the stream starts.
  for (int i = 0; i < FetchTurn::kMostRestarts; ++i) {
    REQUIRE(turn.on_message(event(Kind::offsets_gone), t0) == Verdict::ask_offsets);
    REQUIRE(turn.restart_with(offsets(200 + 100 * i, 1000)));
    CHECK(turn.next_offset() == 200 + 100 * i);
    CHECK(turn.stream_next() == 200 + 100 * i);
  }
  CHECK(turn.on_message(event(Kind::offsets_gone), t0) == Verdict::fail);

  FetchTurn emptied(ask(0), at(0), kDeadline);
  REQUIRE(emptied.begin(offsets(0, 50)) == FetchTurn::Start::read_on);
  feed(emptied, 0, 10);
  REQUIRE(emptied.on_message(event(Kind::offsets_gone), t0) == Verdict::ask_offsets);
  CHECK_FALSE(emptied.restart_with(offsets(5, 8)));  // everything past 10 is gone: nothing to read
  CHECK_FALSE(emptied.wants_more());
  CHECK(emptied.next_offset() == 10);
}

TEST_CASE("fetch turn: records already passed are dropped, errors fail an empty answer only", "[fetch_turn]") {
  FetchTurn turn(ask(10), at(0), kDeadline);
  REQUIRE(turn.begin(offsets(0, 100)) == FetchTurn::Start::read_on);
  CHECK(turn.on_message(record(0), t0) == Verdict::keep_ahead);
  CHECK(turn.on_message(record(0), t0) == Verdict::drop);  // a duplicate of one already passed
  CHECK(turn.on_message(event(Kind::error), t0) == Verdict::fail);

  FetchTurn some(ask(0), at(0), kDeadline);
  REQUIRE(some.begin(offsets(0, 100)) == FetchTurn::Start::read_on);
  feed(some, 0, 3);
  CHECK(some.on_message(event(Kind::error), t0) == Verdict::drop);  // answer the 3; the next meets it
  CHECK_FALSE(some.wants_more());
  CHECK(some.next_offset() == 3);
}

TEST_CASE("fetch turn: nothing read by the deadline while records are there times out", "[fetch_turn]") {
  FetchTurn turn(ask(0), at(0), kDeadline);
  REQUIRE(turn.begin(offsets(0, 100)) == FetchTurn::Start::read_on);
  CHECK(turn.poll_wait(kDeadline - 5ms) == 5ms);
  CHECK_FALSE(turn.poll_wait(kDeadline));
  CHECK(turn.timed_out(kDeadline));

  FetchTurn some(ask(0), at(0), kDeadline);
  REQUIRE(some.begin(offsets(0, 100)) == FetchTurn::Start::read_on);
  feed(some, 0, 1);
  CHECK_FALSE(some.poll_wait(kDeadline));
  CHECK_FALSE(some.timed_out(kDeadline));  // one record is an answer
}

TEST_CASE("fetch turn: a stream quiet after draining half a full queue is woken, once per half queue", "[fetch_turn]") {
  // librdkafka stops fetching a partition whose queue is full until its broker thread next wakes.
  constexpr std::size_t kBig = 10000;  // bytes a record: 105 of them are half a full queue
  const auto half = static_cast<std::int64_t>(FetchTurn::kQueueBytes / 2 / kBig) + 1;
  FetchTurn turn(ask(0, 1000, 64 << 20), at(0), kDeadline);
  REQUIRE(turn.begin(offsets(0, 1000)) == FetchTurn::Start::read_on);
  CHECK(turn.poll_wait(t0) == 20ms);  // nothing came from it yet: a fetch may be on its way
  CHECK_FALSE(turn.wake_due(t0 + 20ms));
  for (std::int64_t o = 0; o < half - 1; ++o) REQUIRE(turn.on_message(record(o, kBig), t0) == Verdict::take);
  CHECK(turn.poll_wait(t0) == 20ms);  // less than half a queue drained: it was never stopped
  CHECK_FALSE(turn.wake_due(t0 + 20ms));
  REQUIRE(turn.on_message(record(half - 1, kBig), t0) == Verdict::take);
  CHECK(turn.poll_wait(t0) == FetchTurn::kWakeQuiet);
  CHECK_FALSE(turn.wake_due(t0 + 4ms));
  CHECK(turn.wake_due(t0 + 5ms));
  CHECK(turn.stream_next() == half);      // where the seek puts it
  CHECK_FALSE(turn.wake_due(t0 + 30ms));  // once: a slow broker's answer is not dropped again and again
  CHECK(turn.poll_wait(t0 + 30ms) == 20ms);
  CHECK(turn.on_message(record(half, kBig), t0 + 40ms) == Verdict::take);
  CHECK_FALSE(turn.wake_due(t0 + 60ms));  // one record since the wake is not half a queue
  CHECK(turn.stream_drained().records == 1);
  CHECK(turn.stream_drained().bytes == kBig);
}

TEST_CASE("fetch turn: records count toward a wake too, and a restarted stream starts from none", "[fetch_turn]") {
  FetchTurn many(ask(0, 20000), at(0), kDeadline);
  REQUIRE(many.begin(offsets(0, 30000)) == FetchTurn::Start::read_on);
  feed(many, 0, static_cast<std::int64_t>(FetchTurn::kQueueRecords / 2));  // 100 bytes each: records decide
  CHECK(many.wake_due(t0 + FetchTurn::kWakeQuiet));

  // A queue the operator made smaller (kafka_properties) is half drained sooner.
  FetchTurn::Stream small = at(0);
  small.queue.records = 100;
  FetchTurn few(ask(0, 500), small, kDeadline);
  REQUIRE(few.begin(offsets(0, 1000)) == FetchTurn::Start::read_on);
  feed(few, 0, 49);
  CHECK_FALSE(few.wake_due(t0 + FetchTurn::kWakeQuiet));
  feed(few, 49, 50);
  CHECK(few.wake_due(t0 + FetchTurn::kWakeQuiet));

  auto drained_at = [](std::int64_t next) {
    FetchTurn::Stream s = at(next);
    s.drained.records = FetchTurn::kQueueRecords;
    return s;
  };
  FetchTurn on(ask(20), drained_at(20), kDeadline);  // the stream's next turn carries what it drained
  REQUIRE(on.begin(offsets(0, 100)) == FetchTurn::Start::read_on);
  CHECK(on.poll_wait(t0) == FetchTurn::kWakeQuiet);
  CHECK(on.wake_due(t0 + FetchTurn::kWakeQuiet));

  FetchTurn behind(ask(10), drained_at(20), kDeadline);
  REQUIRE(behind.begin(offsets(0, 100)) == FetchTurn::Start::restart);
  CHECK(behind.poll_wait(t0) == 20ms);  // its first fetch is on its way
  CHECK_FALSE(behind.wake_due(t0 + 20ms));
  CHECK(behind.stream_drained().records == 0);

  // Caught up: the end of the partition is no stall.
  FetchTurn end(ask(20, 500), drained_at(20), kDeadline);
  REQUIRE(end.begin(offsets(0, 21)) == FetchTurn::Start::read_on);
  CHECK(end.on_message(record(20), t0) == Verdict::take);
  CHECK_FALSE(end.wants_more());
  CHECK_FALSE(end.wake_due(t0 + 1s));
}
