#pragma once
// How many bytes of request bodies krest-proxy holds in memory at once, over every connection.
// A request whose body would pass the bound is refused from its header (503 with Retry-After),
// before any of the body is read: an offer of many large bodies costs a refusal each, not memory.
#include <atomic>
#include <cstdint>

namespace krest::proxy {

class BodyBudget {
 public:
  explicit BodyBudget(std::uint64_t limit) : limit_(limit) {}

  // The bytes of one request's body, held from reserve() until it goes out of scope.
  class Hold {
   public:
    explicit Hold(BodyBudget& budget) : budget_(budget) {}
    ~Hold() { budget_.in_use_.fetch_sub(bytes_, std::memory_order_relaxed); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    // False (nothing held) when `bytes` more would pass the bound.
    bool reserve(std::uint64_t bytes) {
      auto used = budget_.in_use_.load(std::memory_order_relaxed);
      do {
        if (used + bytes > budget_.limit_) return false;
      } while (!budget_.in_use_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
      bytes_ += bytes;
      return true;
    }

   private:
    BodyBudget& budget_;
    std::uint64_t bytes_ = 0;
  };

  std::uint64_t limit() const { return limit_; }
  std::uint64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  const std::uint64_t limit_;
  std::atomic<std::uint64_t> in_use_{0};
};

// max_body_memory_bytes = 0: the smaller of 1 GiB and a quarter of the machine's memory.
std::uint64_t body_memory_bound(std::int64_t configured);

}  // namespace krest::proxy
