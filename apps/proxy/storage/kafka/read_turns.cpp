#include "storage/kafka/read_turns.hpp"

#include <tuple>

namespace krest::proxy {

std::pair<ReadTurns::Ticket, bool> ReadTurns::arrive(std::int64_t offset) {
  const Ticket ticket = next_ticket_++;
  if (!busy_) {
    busy_ = true;
    return {ticket, true};
  }
  waiting_.emplace(ticket, Waiter{offset, 0});
  return {ticket, false};
}

std::optional<ReadTurns::Ticket> ReadTurns::finish(const Stream& stream) {
  if (waiting_.empty()) {
    busy_ = false;
    return std::nullopt;
  }
  // 0: served from where the stream stands; 1: read on to, a little ahead; 2: a restart.
  auto cost = [&](const Waiter& w) {
    if (stream.started && (w.offset == stream.next || (stream.kept && stream.kept(w.offset)))) return 0;
    if (stream.started && w.offset > stream.next && w.offset - stream.next <= stream.read_on_limit) return 1;
    return 2;
  };
  auto chosen = waiting_.end();
  std::tuple<int, std::int64_t, Ticket> best{};
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->second.passed >= kMaxPassed) {  // the oldest passed over too often
      chosen = it;
      break;
    }
    const int c = cost(it->second);
    // Near the stream, the lowest offset (the least to read on); restarts, the lowest too (a
    // windowed client's position waits for its lowest page).
    const std::tuple<int, std::int64_t, Ticket> key{c, it->second.offset, it->first};
    if (chosen == waiting_.end() || key < best) {
      chosen = it;
      best = key;
    }
  }
  const Ticket ticket = chosen->first;
  waiting_.erase(chosen);
  for (auto& [t, w] : waiting_)
    if (t < ticket) ++w.passed;  // only those that came before it were passed over
  return ticket;
}

bool ReadTurns::leave(Ticket ticket) { return waiting_.erase(ticket) > 0; }

}  // namespace krest::proxy
