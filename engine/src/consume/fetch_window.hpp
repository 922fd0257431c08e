#pragma once
// The bookkeeping of one partition's fetches, apart from any I/O so it can be tested alone.
//
// Requests go out at consecutive offset ranges [start, start + count) ahead of what the
// application has been given (`position`), up to a window of them at once. A response covers
// [start, NextOffset): every record of that range, in order. Responses may come back in any
// order and may cover less than asked (the 6 MB cap, the end of the log); records are handed on
// only in offset order, each offset once: a range no response covered yet (a gap) is asked for
// again, and what an overlapping response repeats is dropped.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "krest/consumed_record.hpp"

namespace krest::consume {

class FetchWindow {
 public:
  // `window`: requests awaiting their response header at once, beyond the one that fills a gap.
  FetchWindow(std::int64_t position, std::int32_t count, std::size_t window);

  // The offset of the next request to send, now recorded as in flight; nothing when the window is
  // full, the end of the log was seen (see poll_again()), or everything ahead is covered.
  std::optional<std::int64_t> next_request();
  // The count of the requests sent from now on.
  void set_count(std::int32_t count) { count_ = count; }
  // The header of the response to the request at `start` came, with NextOffset `next`.
  void header(std::int64_t start, std::int64_t next);
  // The whole response to the request at `start` came.
  void completed(std::int64_t start, std::vector<ConsumedRecord> records, std::int64_t next);
  // The request at `start` failed; its range will be asked for again.
  void failed(std::int64_t start);

  // The records of the next answer now deliverable in offset order (its own vector, as it was
  // parsed, when nothing of it was delivered before), moving position past them and past any range
  // the proxy answered without records (offsets removed by retention or compaction); nothing when
  // the position cannot move yet. Called until it gives nothing.
  std::optional<std::vector<ConsumedRecord>> take_next();

  // The proxy said there is nothing at `position` yet: nothing more to do until poll_again().
  bool caught_up() const;
  // Forget answers that said "nothing here yet", so that the next request asks again.
  void poll_again();

  std::int64_t position() const { return position_; }
  std::size_t in_flight() const;
  std::size_t awaiting_header() const;

 private:
  struct Entry {
    std::int64_t expected_end = 0;     // start + count: the range asked for
    std::optional<std::int64_t> next;  // NextOffset, once the header came
    bool done = false;
    std::vector<ConsumedRecord> records;
  };
  static std::int64_t covered_end(const Entry& e) { return e.next ? *e.next : e.expected_end; }
  bool position_covered() const;
  void forget_behind(std::int64_t before);

  std::int64_t position_;
  std::int32_t count_;
  std::size_t window_;
  std::map<std::int64_t, Entry> entries_;  // by start offset
  std::optional<std::int64_t> end_seen_;   // lowest offset the proxy answered "nothing yet" at
  bool probing_ = false;  // after poll_again(): one request at a time until the log moves on
};

}  // namespace krest::consume
