#include "flow/in_flight_limit.hpp"

#include <algorithm>

namespace krest::flow {
namespace {

std::size_t most_requests(const Concurrency& setting, const Concurrency& pool) {
  return pool.adaptive ? setting.max : std::min(setting.max, pool.max);
}

LimitSettings limit_settings(const Concurrency& setting, const Concurrency& pool, std::uint64_t most_weight,
                             std::size_t initial, std::chrono::milliseconds initial_rtt) {
  LimitSettings s;
  s.initial = initial;
  s.initial_rtt = std::max(std::chrono::milliseconds(1), initial_rtt);
  // In units (AdaptiveLimit::sent()): as many requests as the setting allows, each of the most
  // units one may weigh; room() holds the requests themselves to the setting.
  const std::size_t weight = static_cast<std::size_t>(std::max<std::uint64_t>(1, most_weight));
  s.max = most_requests(setting, pool) * weight;
  s.min = std::min(s.min, s.max);
  s.initial = std::min(s.initial, s.max);
  return s;
}

}  // namespace

InFlightLimit::InFlightLimit(const Concurrency& setting, const Concurrency& pool, std::uint64_t most_weight,
                             std::size_t initial, std::chrono::milliseconds initial_rtt)
    : adaptive_(setting.adaptive),
      pinned_(setting.max),
      most_requests_(most_requests(setting, pool)),
      adaptive_limit_(limit_settings(setting, pool, most_weight, initial, initial_rtt)) {}

bool InFlightLimit::learn_link() {
  // Asked before the pool's connections are walked for their quickest connect.
  if (!adaptive_ || !fastest_connect_ || !adaptive_limit_.link_length_wanted()) return false;
  const auto connect = fastest_connect_();
  if (connect == Clock::duration::max()) return false;
  const auto before = adaptive_limit_.limit();
  // A connect takes two round trips (TCP's handshake and TLS 1.3's).
  adaptive_limit_.link_round_trip(connect / 2);
  return adaptive_limit_.limit() > before;
}

void InFlightLimit::answered(const Ticket& ticket, const http::Exchange& x, bool measure) {
  if (!adaptive_) return;
  const auto now = Clock::now();
  const int status = x.ec ? 0 : x.response.result_int();
  if (status == 429 || status == 503) adaptive_limit_.overloaded(now);
  const bool connecting = stalled_connecting(ticket);
  if (measure && status == 200 && !x.connected)
    adaptive_limit_.completed(ticket, now, connecting, x.elapsed);
  else
    adaptive_limit_.unmeasured(ticket, now, measure && status == 200, connecting);
}

bool InFlightLimit::stalled_connecting(const Ticket& ticket) const {
  // Asked only where a round ends: the pool's answer walks its connections.
  return connecting_ && adaptive_limit_.ends_round(ticket) && connecting_();
}

void InFlightLimit::unmeasured(const Ticket& ticket) {
  if (adaptive_) adaptive_limit_.unmeasured(ticket, Clock::now(), false, stalled_connecting(ticket));
}

}  // namespace krest::flow
