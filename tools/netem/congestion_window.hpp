#pragma once
// One direction of one connection as TCP's congestion control paces it, apart from any I/O and
// without loss: the sender may have `window` bytes on their way, unacknowledged. The window starts
// at the initial window (Linux: 10 segments, 14,480 bytes) and grows by every byte acknowledged,
// so it doubles each round trip (slow start); an ack comes when its bytes have arrived and the ack
// has crossed back. After an idle spell of more than an RTO with nothing on its way, the window
// halves for each RTO idle, not below the initial window (RFC 5681's restart, on by default in
// Linux: tcp_slow_start_after_idle), so a keep-alive connection left unused for a while sends its
// next request almost as a new one does.
//
// Why an emulator needs it: a relay that delays bytes without it lets a fresh connection send a
// 150 KB request in one round trip, where a real one takes four (14 + 29 + 58 + 116 KB), so
// anything that opens connections or leaves them idle looked cheaper across a long link than it is.
#include <chrono>
#include <cstddef>
#include <deque>
#include <utility>

#include "link_model.hpp"

namespace krest::netem {

class CongestionWindow {
 public:
  static constexpr std::size_t kSegment = 1448;  // an Ethernet MSS with TCP timestamps
  static constexpr std::size_t kInitialWindow = 10 * kSegment;
  // Linux's RTO floor over the round trip (its RTO is about srtt + 200 ms on a steady link).
  static constexpr std::chrono::milliseconds kRtoFloor{200};

  // `round_trip`: the link's, both ways; `back`: the other way's delay, which acks take;
  // `most`: the window's bound (the receiver's window).
  CongestionWindow(Clock::duration round_trip, Clock::duration back, std::size_t most,
                   std::size_t initial = kInitialWindow);

  // The bytes that may enter the link at `now` (the acks due by then taken, an idle restart
  // applied); 0: wait for next_ack().
  std::size_t allowed(Clock::time_point now);
  // When the earliest unacknowledged bytes are acknowledged; time_point::max() with none.
  Clock::time_point next_ack() const;
  // `bytes` entered the link at `now` and arrive at `arrival`.
  void sent(Clock::time_point now, std::size_t bytes, Clock::time_point arrival);

  std::size_t window() const { return window_; }

 private:
  Clock::duration back_;  // an ack's way back
  Clock::duration rto_;
  std::size_t most_, initial_, window_;
  std::size_t in_flight_ = 0;
  std::deque<std::pair<Clock::time_point, std::size_t>> unacked_;  // (ack time, bytes), oldest first
  bool sent_any_ = false;
  Clock::time_point last_sent_{};
};

}  // namespace krest::netem
