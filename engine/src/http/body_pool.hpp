#pragma once
// Large strings kept for reuse: request and response bodies of tens or hundreds of KB each. A
// fresh one per request costs an allocation, page faults as it is first touched, and (for a
// response Beast grows with resize) zeroing; a recycled one has its capacity already.
// One executor only (no locking).
#include <cstddef>
#include <string>
#include <vector>

namespace krest::http {

class BodyPool {
 public:
  // An empty string, with the capacity of a returned one when there is one.
  std::string take() {
    if (free_.empty()) return {};
    std::string s = std::move(free_.back());
    free_.pop_back();
    s.clear();
    return s;
  }
  // Keeps `s` for a later take(), unless enough are kept or it is too large to be worth holding.
  void give(std::string&& s) {
    if (free_.size() < kMaxKept && s.capacity() >= kMinBytes && s.capacity() <= kMaxBytes) free_.push_back(std::move(s));
  }

 private:
  static constexpr std::size_t kMaxKept = 64;
  static constexpr std::size_t kMinBytes = 4 * 1024;
  static constexpr std::size_t kMaxBytes = 4 * 1024 * 1024;
  std::vector<std::string> free_;
};

}  // namespace krest::http
