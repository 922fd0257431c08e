#pragma once
// Who reads a partition next, apart from any I/O so it can be tested alone.
//
// Requests for one partition take turns on its session: one librdkafka fetch stream, which can be
// at one place at a time. A windowed client asks for its next pages together and they arrive in
// any order; taken as they come, a page far ahead restarts the stream there, and the pages before
// it restart it back (each restart drops what was fetched and waits for a new fetch). So when a
// turn ends, the waiting request that is cheapest to serve goes next: one at the stream's position
// or whose records were kept for it, then the nearest a little ahead (read on to, keeping what is
// passed), and one that would restart the stream only when none of those waits, lowest first. A
// request passed over kMaxPassed times goes next whatever it costs, so a reader elsewhere in the
// partition is never starved by a windowed one; that is more than a window holds (the engine's is
// at most 256 pages), so one client's own pages never force a restart on each other.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

namespace krest::proxy {

class ReadTurns {
 public:
  using Ticket = std::uint64_t;
  static constexpr int kMaxPassed = 512;

  // Where the partition's stream stands when a turn ends.
  struct Stream {
    bool started = false;
    std::int64_t next = -1;             // the offset the fetch hands out next
    std::int64_t read_on_limit = 0;     // how far ahead of `next` a request is read on to
    std::function<bool(std::int64_t)> kept;  // whether the records at an offset were kept for it
  };

  // A request at `offset` asks for the turn: its ticket, and whether it has the turn now (nobody
  // held it). Otherwise it waits until finish() names its ticket or it leave()s.
  std::pair<Ticket, bool> arrive(std::int64_t offset);

  // The holder is done: the waiting ticket that holds the turn now, if any waited.
  std::optional<Ticket> finish(const Stream& stream);

  // A waiting request gives up. False when it no longer waits: finish() gave it the turn
  // meanwhile, and it must read or finish() in its turn.
  bool leave(Ticket ticket);

  bool busy() const { return busy_; }
  std::size_t waiting() const { return waiting_.size(); }

 private:
  struct Waiter {
    std::int64_t offset = 0;
    int passed = 0;
  };
  Ticket next_ticket_ = 1;
  bool busy_ = false;
  std::map<Ticket, Waiter> waiting_;  // by ticket: oldest first
};

}  // namespace krest::proxy
