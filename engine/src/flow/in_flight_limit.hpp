#pragma once
// A producer's or consumer's requests-in-flight setting at work: pinned, or adapted by an
// AdaptiveLimit that is fed each request's round trip (never above a pinned pool's connections,
// which would only make requests wait for one), in units of work where requests differ in size.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "flow/adaptive_limit.hpp"
#include "http/http_connection.hpp"
#include "krest/concurrency.hpp"

namespace krest::flow {

class InFlightLimit {
 public:
  // `most_weight`: the most units one request may weigh (see sent()); the adapted limit may reach
  // the setting's bound in requests of that weight. `initial`: where the adapted limit starts on
  // a link of `initial_rtt` or shorter (LimitSettings::initial and initial_rtt); a longer one
  // starts as many times wider as it is longer.
  InFlightLimit(const Concurrency& setting, const Concurrency& pool, std::uint64_t most_weight = 1,
                std::size_t initial = LimitSettings{}.initial,
                std::chrono::milliseconds initial_rtt = LimitSettings{}.initial_rtt);

  // Adapted, the limit is in units; pinned, in requests.
  std::size_t value() const { return adaptive_ ? adaptive_limit_.limit() : pinned_; }
  // Whether another request may go out, with `requests` out weighing `units` in all. Adapted, the
  // requests themselves stay within the setting's bound too.
  bool room(std::size_t requests, std::size_t units) const {
    return adaptive_ ? units < adaptive_limit_.limit() && requests < most_requests_ : requests < pinned_;
  }
  // The limit in requests of `weight` units each.
  std::size_t requests(std::uint64_t weight) const {
    if (!adaptive_) return pinned_;
    return std::clamp<std::size_t>(value() / std::max<std::uint64_t>(1, weight), 1, most_requests_);
  }
  // Connections worth having open: the limit, and in startup (where it doubles each round trip)
  // on a link known to be kWarmAheadRtt or longer, the next round's too, so that its requests find
  // them handshaken. On a shorter link a handshake holds a request back for a few milliseconds
  // only, while each connection opened ahead costs both ends CPU, often for nothing: startup there
  // mostly ends before the doubling it warmed for (a krest load at 0.2 and 2 ms opened 128
  // connections for a limit that settled near 40, and ran 4 and 12 % slower than without).
  static constexpr std::chrono::milliseconds kWarmAheadRtt{10};
  // `weight`: the units of the requests about to go.
  std::size_t wanted_connections(std::uint64_t weight = 1) const {
    if (!adaptive_) return pinned_;
    const std::size_t units =
        adaptive_limit_.startup() && link_known_long() ? adaptive_limit_.startup_next() : adaptive_limit_.limit();
    const std::uint64_t w = std::max<std::uint64_t>(1, weight);
    return std::min(static_cast<std::size_t>((units + w - 1) / w), most_requests_);
  }

  // A request goes out, counting for `weight` units; `in_flight` units are out with it. Where
  // requests differ in size, a unit is a share of the work: the producer counts a unit per 500
  // records, so that its limit, rates and product keep their meaning when POSTs grow to 2000.
  Ticket sent(std::size_t in_flight, std::uint64_t weight = 1) {
    return adaptive_ ? adaptive_limit_.sent(in_flight, Clock::now(), weight) : Ticket{};
  }
  // Its exchange ended: a round trip to learn from, a 429/503 to back off for, or neither (a
  // failure, a connection that had to be opened first, or `measure` false: an answer that says
  // nothing about load, such as an empty page at the end of a log).
  void answered(const Ticket& ticket, const http::Exchange& x, bool measure = true);
  void unmeasured(const Ticket& ticket);
  // Tells whether requests are waiting now for connections whose opening stalls (the pool's
  // requests_stalled_connecting()): rounds that end so do not count as held back by the limit.
  void watch_connecting(std::function<bool()> connecting) { connecting_ = std::move(connecting); }
  // Tells the pool's quickest connect so far (ConnectionPool::fastest_connect()).
  void watch_connect_time(std::function<Clock::duration()> fastest) { fastest_connect_ = std::move(fastest); }
  // Tells the adapted limit the link's length from the quickest connect, until an answer measures
  // a round trip (AdaptiveLimit::link_round_trip()). Called by its owner when it starts and when
  // a connect ends (the pool's watch_connects()): only a connect changes the quickest one. True
  // when the limit grew: more may go out now.
  bool learn_link();

  const AdaptiveLimit* adaptive() const { return adaptive_ ? &adaptive_limit_ : nullptr; }

  // Whether the link is kWarmAheadRtt or longer, as far as known: by the base round trip, or
  // before one is measured (the first answers come on connections they opened, and say nothing
  // of the queue) by the quickest connect, two round trips. Waiting for the base left the warm-up
  // off for the first two or three rounds: a load at 20 ms and 100 Mbit/s ran 1.27x with it on
  // from the first connect, while warming from the first request, before any connect showed the
  // link's length, cost 10 % at 2 ms.
  bool link_known_long() const { return link_known_at_least(kWarmAheadRtt); }
  // The same for a round trip of `rtt` or more.
  bool link_known_at_least(Clock::duration rtt) const {
    if (const auto base = adaptive_limit_.base_rtt(); base > Clock::duration::zero()) return base >= rtt;
    const auto connect = connect_round_trip();
    return connect && *connect >= rtt;
  }
  // Whether the quickest connect shows a round trip shorter than `rtt`. By the connect alone, not
  // the base round trip: that holds the proxy's time, and a queue at a busy proxy (on loopback,
  // 6-12 ms) would pass for a long link.
  bool connect_shows_shorter_than(Clock::duration rtt) const {
    const auto connect = connect_round_trip();
    return connect && *connect < rtt;
  }

 private:
  // The link's round trip as the quickest connect shows it (a connect takes two), if any came.
  std::optional<Clock::duration> connect_round_trip() const {
    if (!fastest_connect_) return std::nullopt;
    const auto connect = fastest_connect_();
    if (connect == Clock::duration::max()) return std::nullopt;
    return connect / 2;
  }

  bool adaptive_;
  std::size_t pinned_;
  std::size_t most_requests_;  // the setting's bound (a pinned pool's connections at most)
  AdaptiveLimit adaptive_limit_;
  std::function<bool()> connecting_;
  std::function<Clock::duration()> fastest_connect_;

  bool stalled_connecting(const Ticket& ticket) const;
};

}  // namespace krest::flow
