#pragma once
// Failed attempts counted per key (a client id, a source address) in token buckets: each failure
// takes a token, tokens come back at a steady rate, and a key with none left is refused until one
// does. What makes guessing secrets slow without shutting out a client that knows its own.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace krest::proxy {

struct ThrottleSettings {
  double burst = 10;                       // failures allowed at once
  std::chrono::milliseconds refill{6000};  // one more failure allowed per this
  std::size_t max_keys = 100000;           // keys tracked at most (the oldest full ones go first)
};

class FailureThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit FailureThrottle(ThrottleSettings settings = {}) : settings_(settings) {}

  // How long `key` must wait before its next attempt; nothing when it may go ahead. Thread-safe.
  std::optional<std::chrono::seconds> blocked(const std::string& key, Clock::time_point now);
  // An attempt by `key` failed.
  void failed(const std::string& key, Clock::time_point now);
  std::size_t tracked() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  double refilled(const Bucket& b, Clock::time_point now) const;
  void forget_full(Clock::time_point now);

  ThrottleSettings settings_;
  mutable std::mutex mutex_;  // guards buckets_
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace krest::proxy
