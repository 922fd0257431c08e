#include "congestion_window.hpp"

#include <algorithm>

namespace krest::netem {

CongestionWindow::CongestionWindow(Clock::duration round_trip, Clock::duration back, std::size_t most,
                                   std::size_t initial)
    : back_(back),
      rto_(round_trip + std::chrono::duration_cast<Clock::duration>(kRtoFloor)),
      most_(std::max(most, initial)),
      initial_(initial),
      window_(initial) {}

std::size_t CongestionWindow::allowed(Clock::time_point now) {
  while (!unacked_.empty() && unacked_.front().first <= now) {
    in_flight_ -= unacked_.front().second;
    window_ = std::min(most_, window_ + unacked_.front().second);  // slow start: grows by what was acked
    unacked_.pop_front();
  }
  if (in_flight_ == 0 && sent_any_ && window_ > initial_ && now - last_sent_ > rto_) {
    // Linux's tcp_cwnd_restart: halved for each RTO idle since the last send.
    for (auto idle = now - last_sent_; idle > rto_ && window_ > initial_; idle -= rto_) window_ /= 2;
    window_ = std::max(window_, initial_);
    last_sent_ = now;  // restarted once for this idle spell
  }
  return window_ > in_flight_ ? window_ - in_flight_ : 0;
}

Clock::time_point CongestionWindow::next_ack() const {
  return unacked_.empty() ? Clock::time_point::max() : unacked_.front().first;
}

void CongestionWindow::sent(Clock::time_point now, std::size_t bytes, Clock::time_point arrival) {
  const auto ack = arrival + back_;
  // A connection's bytes arrive in order, so acks come in order too.
  if (!unacked_.empty() && unacked_.back().first >= ack)
    unacked_.back().second += bytes;
  else
    unacked_.emplace_back(ack, bytes);
  in_flight_ += bytes;
  sent_any_ = true;
  last_sent_ = now;
}

}  // namespace krest::netem
