#pragma once
// How many requests a producer, a consumer or a connection pool keeps going at once: adapted to
// the link (the default) within an upper bound, or pinned to a number.
//
//   options.max_in_flight = 64;                              // pinned: always up to 64
//   options.max_in_flight = krest::Concurrency::automatic(256);  // adapted, never above 256
//
// Adapted, the number follows the measured round trip and throughput as TCP's congestion control
// sizes its window: it grows while answers come back as fast as they did with fewer requests out,
// settles once more requests only wait in a queue (the round trip grows), and halves when the
// proxy answers 429 or 503 (docs/ENGINE.md, "Across a network").
#include <cstddef>

namespace krest {

struct Concurrency {
  std::size_t max = 8;  // pinned: the number; adapted: the upper bound
  bool adaptive = false;

  Concurrency() = default;
  // A number pins the value (what `options.connections = 16;` has always meant).
  Concurrency(std::size_t pinned) : max(pinned) {}  // NOLINT(google-explicit-constructor)
  static Concurrency automatic(std::size_t upper_bound) {
    Concurrency c(upper_bound);
    c.adaptive = true;
    return c;
  }
  static Concurrency fixed(std::size_t n) { return Concurrency(n); }
  bool operator==(const Concurrency&) const = default;
};

}  // namespace krest
