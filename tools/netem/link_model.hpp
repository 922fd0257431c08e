#pragma once
// One direction of an emulated network link, apart from any I/O: when bytes that enter it now
// come out at the far end. A link has a propagation delay (with jitter), a bandwidth (bytes leave
// one after another at that rate, shared by every connection that crosses the link) and a
// bottleneck queue of bounded length: while more than `queue` of sending time waits ahead, the
// relay stops reading, so the senders feel it as TCP back-pressure instead of an endless buffer.
// Each connection's bytes stay in order, whatever the jitter.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>

namespace krest::netem {

using Clock = std::chrono::steady_clock;

struct LinkSettings {
  std::chrono::microseconds delay{0};      // one way
  std::chrono::microseconds jitter{0};     // each piece's delay varies uniformly within ±jitter
  double bytes_per_second = 0;             // 0: unlimited
  std::chrono::microseconds queue{25000};  // bottleneck queue, as time to send what waits in it
};

// Where one connection's previous piece arrives: later pieces never overtake it.
struct ConnectionOrder {
  Clock::time_point last_arrival{};
};

class LinkModel {
 public:
  explicit LinkModel(LinkSettings settings, std::uint64_t seed = 1) : settings_(settings), rng_(seed) {}

  // `bytes` enter the link at `now` on a connection; returns when they have all arrived at the far
  // end. Thread-safe: every connection of the link shares its bandwidth.
  Clock::time_point schedule(Clock::time_point now, std::size_t bytes, ConnectionOrder& order);

  // Until when a sender must hold back because the bottleneck queue is full (now or earlier: go on).
  Clock::time_point admit_at(Clock::time_point now) const;

  // The piece size the relay schedules at once: 125 µs of sending on a limited link, from a packet
  // to 16 KiB (so a receiver sees bytes trickle in, as on a real one), large when unlimited.
  std::size_t quantum() const;

  const LinkSettings& settings() const { return settings_; }

 private:
  LinkSettings settings_;
  mutable std::mutex mutex_;
  Clock::time_point free_at_{};  // when the link has sent everything scheduled so far
  std::minstd_rand rng_;
};

}  // namespace krest::netem
