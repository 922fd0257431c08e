#include "link_model.hpp"

#include <algorithm>

namespace krest::netem {

Clock::time_point LinkModel::schedule(Clock::time_point now, std::size_t bytes, ConnectionOrder& order) {
  std::lock_guard lock(mutex_);
  Clock::time_point departed = now;
  if (settings_.bytes_per_second > 0) {
    const auto sending = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(bytes) / settings_.bytes_per_second));
    free_at_ = std::max(free_at_, now) + sending;
    departed = free_at_;
  }
  auto delay = std::chrono::duration_cast<Clock::duration>(settings_.delay);
  if (settings_.jitter.count() > 0) {
    const auto j = settings_.jitter.count();
    std::uniform_int_distribution<std::int64_t> spread(-j, j);
    delay += std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(spread(rng_)));
    delay = std::max(delay, Clock::duration::zero());
  }
  order.last_arrival = std::max(order.last_arrival, departed + delay);
  return order.last_arrival;
}

Clock::time_point LinkModel::admit_at(Clock::time_point now) const {
  if (settings_.bytes_per_second <= 0) return now;
  std::lock_guard lock(mutex_);
  return std::max(now, free_at_ - std::chrono::duration_cast<Clock::duration>(settings_.queue));
}

std::size_t LinkModel::quantum() const {
  // Unlimited: large reads, for the relay's own speed. Limited: 125 µs of sending, from a packet
  // (100 Mbit/s) to 16 KiB (1 Gbit/s and up), so that a body crosses in pieces over time.
  constexpr std::size_t kUnlimited = 256 * 1024, kLargest = 16 * 1024, kSmallest = 1500;
  if (settings_.bytes_per_second <= 0) return kUnlimited;
  const auto per_slice = static_cast<std::size_t>(settings_.bytes_per_second / 8000);
  return std::clamp(per_slice, kSmallest, kLargest);
}

}  // namespace krest::netem
