#pragma once
// Reads a partition from an offset for a consume request. Each partition being read is a session
// on one of a few librdkafka consumers: started at an offset (direct assignment — no consumer
// group, no commits: the v1 API carries offsets in each request), and left running between
// requests, so that the next page a client asks for (at the previous response's NextOffset) is
// already fetched. Requests for one partition take turns on its session (ReadTurns says whose
// turn is next); sessions beyond `open_partitions` are closed least recently used first, and
// those no request asked for within `partition_idle` by a thread of their own.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/kafka/kafka_stats.hpp"
#include "storage/kafka/rdkafka_handle.hpp"
#include "storage/kafka/read_turns.hpp"
#include "storage/storage.hpp"

namespace krest::proxy {

class PartitionReaders {
 public:
  PartitionReaders(const KafkaOptions& options, KafkaStats& stats);
  ~PartitionReaders();

  struct Session;

  // The partition's session, opened (and the least recently read beyond the limit closed) if need be.
  std::shared_ptr<Session> session(const std::string& topic, std::int32_t partition);

  // Asks for the session's turn to read at `offset`, never blocking: true when it has it now.
  // Otherwise `granted` runs once it has (on the thread that ends the turn before, outside any
  // lock: it must only hand over, as by posting to the waiter's executor), and `ticket` names the
  // wait for give_up().
  bool request_turn(Session& s, std::int64_t offset, std::function<void()> granted, ReadTurns::Ticket& ticket);
  // A waiting request gives up. False when it had been given the turn meanwhile (`granted` has run
  // or is about to): it must then read().
  bool give_up(Session& s, ReadTurns::Ticket ticket);

  // Blocking (run it on a thread pool), in the request's turn; ends the turn. A windowed client asks for
  // its next pages at once and they may arrive out of order: a request a little ahead of where the
  // session's fetch stands reads on to its offset and keeps the records it passes for the requests
  // that want them, so the fetch goes on instead of restarting at each page's offset in turn. Up to
  // request.max_records records from request.offset, at most request.max_bytes of keys and values
  // but at least one record; an offset below the earliest retained starts there, one at or past
  // the end gives none. Throws ProxyError.
  FetchResult read(Session& s, const FetchRequest& request);

  // Fetch streams started at a request's offset so far: one per partition read from a new place;
  // many more means requests for a partition keep moving its stream (pages out of order beyond
  // what is read on to, or one reader's pages spread over several proxies).
  std::uint64_t stream_starts() const { return stream_starts_.load(std::memory_order_relaxed); }
  // Fetch streams woken after librdkafka stopped fetching them with a full queue (FetchTurn::wake_due).
  std::uint64_t stream_wakes() const { return stream_wakes_.load(std::memory_order_relaxed); }
  // Records a stream read past on the way to a request's offset and dropped unserved (beyond what
  // it keeps, or kept when the stream moved): work for nothing.
  std::uint64_t unused_records() const { return unused_records_.load(std::memory_order_relaxed); }
  // Sessions open now, and those closed so far for going unasked for `partition_idle`.
  std::size_t open_sessions() const;
  std::uint64_t idle_closed() const { return idle_closed_.load(std::memory_order_relaxed); }

 private:
  struct Consumer;
  // Hands the turn to the next waiting request, if any.
  void end_turn(Session& s);
  FetchResult read_turn(Session& s, const FetchRequest& request);
  // Under mu_: closes the session at `r` unless a request is reading it, moving `r` on to the one
  // after it (false: left open, `r` where it was).
  bool close_unread(std::list<std::shared_ptr<Session>>::iterator& r);
  // Closes the sessions no request asked for since `now - partition_idle` (none in a read): the
  // number closed. sweep() runs it on the sweeper thread until the destructor stops it.
  std::size_t close_idle(std::chrono::steady_clock::time_point now);
  void sweep();

  KafkaOptions options_;
  std::atomic<std::uint64_t> stream_starts_{0}, stream_wakes_{0}, unused_records_{0}, idle_closed_{0};
  // Asks a partition leader for its offsets. Not one of the consumers: a broker answers a
  // connection's requests in order, and a consumer's connection mostly holds a fetch waiting
  // fetch.wait.max.ms at a partition's end, so an ask there waited for it (10 ms an ask, one
  // partition's asks in turn: a windowed client's pages past the end cost 10 ms each).
  RdKafkaHandle offsets_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::int32_t>, std::shared_ptr<Session>> sessions_;  // guarded by mu_
  std::list<std::shared_ptr<Session>> recent_;  // most recently used first; guarded by mu_
  std::mutex sweep_mu_;
  std::condition_variable sweep_wake_;
  bool sweep_stopping_ = false;  // guarded by sweep_mu_
  std::thread sweeper_;          // started last in the constructor, joined first in the destructor
};

}  // namespace krest::proxy
