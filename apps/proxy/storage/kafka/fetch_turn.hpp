#pragma once
// One consume request's turn at a partition's fetch stream, as decisions apart from librdkafka so
// they can be tested alone with scripted events (PartitionReaders carries them out).
//
// The stream is one librdkafka fetch, at one place at a time. A request at the stream's position
// reads on; one a little ahead (a windowed client's pages arrive out of order) reads on to its
// offset, keeping the records it passes for the requests that want them; one whose first record
// was kept so is served from what was kept, then reads on if the kept records end where the stream
// stands; anything else restarts the stream at its offset. Offsets below the earliest retained
// start there; at or past the end give nothing. Ends of partition reported below the end asked
// about are old news (a fetch that ran ahead met them before the newer records were written); an
// end reported past the turn's position is waited on a short grace for records still on their
// way, then skipped as a real gap (compaction). Retention removing the stream's start makes the
// turn ask for the offsets again and restart at the new earliest, three times at most. A stream
// stopped by librdkafka at a full queue is woken once it is drained (wake_due()).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace krest::proxy {

class FetchTurn {
 public:
  using Clock = std::chrono::steady_clock;
  // How far ahead of the stream's position a request may be and still read on to its offset.
  static constexpr std::int64_t kReadOnRecords = 8000;
  // How long records may still come after an end of partition reported beyond them.
  static constexpr std::chrono::milliseconds kEndGrace{300};
  // Longest single wait for the stream, so the grace and the deadline are looked at often.
  static constexpr std::chrono::milliseconds kLongestPoll{20};
  static constexpr int kMostRestarts = 3;
  // What librdkafka may queue for a partition being read, as PartitionReaders configures it unless
  // the operator's properties say otherwise, and how long a stream that drained half of its queue
  // may be quiet, with records left, before it is woken.
  static constexpr std::size_t kQueueBytes = 2 << 20;
  static constexpr std::size_t kQueueRecords = 20000;
  static constexpr std::chrono::milliseconds kWakeQuiet{5};

  struct Request {
    std::int64_t offset = 0;
    std::size_t max_records = 1;
    std::size_t max_bytes = 1;  // keys and values, but at least one record
  };
  struct Drained {
    std::size_t bytes = 0;
    std::size_t records = 0;
  };
  // A partition's queue in librdkafka: queued.max.messages.kbytes and queued.min.messages.
  struct Queue {
    std::size_t bytes = kQueueBytes;
    std::size_t records = kQueueRecords;
  };
  // Where the stream stands when the turn begins.
  struct Stream {
    bool started = false;
    std::int64_t next = -1;       // the offset of the next record it hands out
    bool kept_at_offset = false;  // a record at the request's offset was kept for it
    Drained drained;              // taken from librdkafka's queue since it started or was woken
    Queue queue;                  // what that queue holds at most
  };
  struct Offsets {
    std::int64_t low = -1;   // earliest retained
    std::int64_t high = -1;  // one past the last written
  };

  FetchTurn(Request request, Stream stream, Clock::time_point deadline);

  // Whether the broker must be asked for the partition's offsets, given those the consumer saw last
  // (nullopt: none). A stream already at the partition knows its end from its own fetches; a
  // request ahead of the stream at or past that end asks, as a client may just have written there.
  bool must_ask(std::optional<Offsets> seen) const;

  enum class Start {
    nothing,    // the request is at or past the end: answer it empty
    from_kept,  // serve kept records: take_kept() while wants_kept()
    read_on,    // read the stream where it stands
    restart,    // restart the stream at next_offset(), then read it
  };
  Start begin(Offsets offsets);

  // Served from kept records: whether one at next_offset() is wanted, and what to do with it.
  bool wants_kept() const { return phase_ == Phase::kept; }
  // `bytes` of the record kept at next_offset(), or nullopt when none was kept there. False: it
  // does not fit (leave it kept).
  bool take_kept(std::optional<std::size_t> bytes);

  // Reading the stream: whether to go on, and how long to wait for the stream's next message
  // (nullopt: the turn is over, by its end grace or its deadline).
  bool wants_more() const;
  std::optional<std::chrono::milliseconds> poll_wait(Clock::time_point now);

  struct Message {
    enum class Kind { record, end_of_partition, offsets_gone, error };
    Kind kind = Kind::record;
    std::int64_t offset = 0;
    std::size_t bytes = 0;  // keys and values, for a record
  };
  enum class Verdict {
    take,        // append it to the answer
    keep_ahead,  // passed on the way to the request's offset: keep it for the request that wants it
    hold,        // it does not fit: hold it for the stream's next reader
    drop,        // nothing to do with it
    ask_offsets, // the stream's start is gone: ask for the offsets, then restart_with()
    fail,        // stop the stream and fail the request with the message's error
  };
  Verdict on_message(const Message& m, Clock::time_point now);
  // After ask_offsets: true when the stream restarts at next_offset(); false when the turn is
  // over (nothing left to read).
  bool restart_with(Offsets offsets);

  // After a poll that gave nothing: true when the stream's fetch is to be woken, by a seek to
  // stream_next(). librdkafka 2.0 stops fetching a partition whose queue is full
  // (queued.min.messages or queued.max.messages.kbytes) and looks at it again only when its broker
  // thread next wakes: up to a second later when nothing else is fetched from that broker, so a
  // reader of one deep partition read 2 MB and then stood a second. A stream is woken when it went
  // quiet for kWakeQuiet with records left, after draining at least half a full queue since it
  // started or was last woken (librdkafka counts a queue's bytes its own way): a stream that
  // drained less was never stopped, its next fetch is on its way, and the seek would drop it.
  bool wake_due(Clock::time_point now);
  Drained stream_drained() const { return drained_; }  // for the stream's next turn

  // The turn is over: true when nothing was read although records were there and the deadline
  // passed (the partition's leader is likely down).
  bool timed_out(Clock::time_point now) const;

  std::int64_t next_offset() const { return next_; }    // where the answer's reader goes on
  std::int64_t stream_next() const { return stream_; }  // where the stream stands after the turn
  std::size_t records() const { return records_; }

 private:
  enum class Phase { begin, kept, stream, done };
  void heard(Clock::time_point now, std::size_t bytes);  // the stream handed out a record
  bool wakeable() const;
  Request request_;
  Stream start_;
  Clock::time_point deadline_;
  Phase phase_ = Phase::begin;
  bool in_stream_ = false;  // the request is at the stream's position or a little ahead
  bool streamed_ = false;   // the turn read the stream (and so may time out)
  bool full_ = false;
  std::int64_t low_ = -1, high_ = -1;
  std::int64_t next_ = 0;
  std::int64_t stream_ = -1;
  std::size_t records_ = 0, bytes_ = 0;
  int restarts_ = 0;
  Drained drained_;
  std::optional<Clock::time_point> quiet_until_;                        // when a wakeable stream is woken
  std::optional<std::pair<std::int64_t, Clock::time_point>> end_past_;  // an end reported past next_
};

}  // namespace krest::proxy
