#include "authority/failure_throttle.hpp"

#include <algorithm>
#include <cmath>

#include "median_time.hpp"

namespace krest::proxy {

double FailureThrottle::refilled(const Bucket& b, Clock::time_point now) const {
  const double periods = std::chrono::duration<double>(now - b.at) / settings_.refill;
  return std::min(settings_.burst, b.tokens + std::max(0.0, periods));
}

std::optional<std::chrono::seconds> FailureThrottle::blocked(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = buckets_.find(key);
  if (it == buckets_.end()) return std::nullopt;
  const double tokens = refilled(it->second, now);
  if (tokens >= 1) return std::nullopt;
  const auto wait = std::chrono::duration<double>(settings_.refill) * (1 - tokens);
  return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(wait.count())));
}

void FailureThrottle::failed(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= settings_.max_keys) forget_full(now);
    it = buckets_.emplace(key, Bucket{settings_.burst, now}).first;
  }
  it->second.tokens = std::max(0.0, refilled(it->second, now) - 1);
  it->second.at = now;
}

void FailureThrottle::forget_full(Clock::time_point now) {
  // Keys whose bucket has filled up again say nothing any more.
  std::erase_if(buckets_, [&](const auto& entry) { return refilled(entry.second, now) >= settings_.burst; });
  // Still too many (a flood of distinct keys): the least recently failed half goes.
  if (buckets_.size() < settings_.max_keys) return;
  const auto cutoff = median_time(buckets_, [](const Bucket& b) { return b.at; });
  std::erase_if(buckets_, [&](const auto& entry) { return entry.second.at < cutoff; });
}

std::size_t FailureThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace krest::proxy
