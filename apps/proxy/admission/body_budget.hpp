#pragma once
// How much memory request bodies (and answers waiting to be written) take in krest-proxy at once,
// over every connection. A body is
// counted twice (kCopiesPerBody): as it came in and as the records parsed from it, which live
// side by side while it is stored (a produce's parsed records until Kafka has them). A request
// whose body would pass the bound is refused from its header (503 with Retry-After), before any
// of the body is read: an offer of many large bodies costs a refusal each, not memory. A body sent
// compressed is counted at what it decodes to, room for which is taken before it is decoded. An
// answer is counted from when it is built until it is written, so that a client that does not read
// its answers holds memory the bound knows of; consume pages are smaller while room is short.
#include <algorithm>
#include <atomic>
#include <cstdint>

namespace krest::proxy {

class BodyBudget {
 public:
  static constexpr std::uint64_t kCopiesPerBody = 2;

  explicit BodyBudget(std::uint64_t limit) : limit_(limit) {}

  // The bytes of one request's body, held from reserve() until it goes out of scope.
  class Hold {
   public:
    explicit Hold(BodyBudget& budget) : budget_(budget) {}
    ~Hold() { budget_.in_use_.fetch_sub(bytes_, std::memory_order_relaxed); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    // False (nothing more held) when `bytes` more would pass the bound.
    bool reserve(std::uint64_t bytes) { return reserve_up_to(bytes, bytes) == bytes; }
    // Up to `bytes` more, as much as the bound leaves but not less than `least`: what was taken
    // (0 when not even `least` is left).
    std::uint64_t reserve_up_to(std::uint64_t bytes, std::uint64_t least) {
      auto used = budget_.in_use_.load(std::memory_order_relaxed);
      std::uint64_t take = 0;
      do {
        take = std::min(bytes, budget_.room_at(used));
        if (take < least || take == 0) return 0;
      } while (!budget_.in_use_.compare_exchange_weak(used, used + take, std::memory_order_relaxed));
      bytes_ += take;
      return take;
    }
    // `bytes` more whatever the bound: memory already taken (an answer built, waiting to be
    // written), counted so that what comes next sees it.
    void add(std::uint64_t bytes) {
      budget_.in_use_.fetch_add(bytes, std::memory_order_relaxed);
      bytes_ += bytes;
    }
    // Gives back what is held beyond `bytes`.
    void keep_only(std::uint64_t bytes) {
      if (bytes >= bytes_) return;
      budget_.in_use_.fetch_sub(bytes_ - bytes, std::memory_order_relaxed);
      bytes_ = bytes;
    }
    std::uint64_t held() const { return bytes_; }

   private:
    BodyBudget& budget_;
    std::uint64_t bytes_ = 0;
  };

  std::uint64_t limit() const { return limit_; }
  std::uint64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  std::uint64_t room() const { return room_at(in_use()); }

 private:
  std::uint64_t room_at(std::uint64_t used) const { return used < limit_ ? limit_ - used : 0; }

  const std::uint64_t limit_;
  std::atomic<std::uint64_t> in_use_{0};
};

// max_body_memory_bytes = 0: the smaller of 1 GiB and a quarter of the machine's memory.
std::uint64_t body_memory_bound(std::int64_t configured);

}  // namespace krest::proxy
