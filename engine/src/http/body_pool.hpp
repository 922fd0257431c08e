#pragma once
// Large strings kept for reuse: request and response bodies of tens or hundreds of KB each. A
// fresh one per request costs an allocation, page faults as it is first touched, and (for a
// response Beast grows with resize) zeroing; a recycled one has its capacity already.
// One executor only (no locking).
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace krest::http {

class BodyPool {
 public:
  // An empty string, with the capacity of a returned one when there is one: the smallest holding
  // `at_least` bytes, else the largest. Request bodies (reserved large) and response bodies (often
  // small) share the pool; handing a small one out for a large reservation would reallocate it,
  // and every fresh allocation of that size is page faults on first touch.
  std::string take(std::size_t at_least = 0) {
    if (free_.empty()) return {};
    std::iter_swap(pick(at_least), free_.end() - 1);
    std::string s = std::move(free_.back());
    free_.pop_back();
    s.clear();
    return s;
  }
  // A string of exactly `size` bytes to be overwritten whole (a response body of known length):
  // a recycled one keeps its old contents' size, so resizing it writes zeros only past that.
  std::string take_sized(std::size_t size) {
    std::string s;
    if (!free_.empty()) {
      auto best = pick(size);
      std::iter_swap(best, free_.end() - 1);
      s = std::move(free_.back());
      free_.pop_back();
    }
    s.resize(size);
    return s;
  }

  // Keeps `s` for a later take(), unless enough are kept or it is too large to be worth holding.
  void give(std::string&& s) {
    if (free_.size() < kMaxKept && s.capacity() >= kMinBytes && s.capacity() <= kMaxBytes) free_.push_back(std::move(s));
  }

 private:
  // The smallest kept string of at least `bytes` capacity, else the largest. free_ is not empty.
  std::vector<std::string>::iterator pick(std::size_t bytes) {
    auto best = free_.end(), largest = free_.begin();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->capacity() > largest->capacity()) largest = it;
      if (it->capacity() >= bytes && (best == free_.end() || it->capacity() < best->capacity())) best = it;
    }
    return best == free_.end() ? largest : best;
  }

  static constexpr std::size_t kMaxKept = 64;
  static constexpr std::size_t kMinBytes = 4 * 1024;
  static constexpr std::size_t kMaxBytes = 4 * 1024 * 1024;
  std::vector<std::string> free_;
};

}  // namespace krest::http
