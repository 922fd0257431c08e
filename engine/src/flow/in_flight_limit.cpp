#include "flow/in_flight_limit.hpp"

#include <algorithm>

namespace krest::flow {
namespace {

LimitSettings limit_settings(const Concurrency& setting, const Concurrency& pool) {
  LimitSettings s;
  s.max = pool.adaptive ? setting.max : std::min(setting.max, pool.max);
  s.min = std::min(s.min, s.max);
  s.initial = std::min(s.initial, s.max);
  return s;
}

}  // namespace

InFlightLimit::InFlightLimit(const Concurrency& setting, const Concurrency& pool)
    : adaptive_(setting.adaptive), pinned_(setting.max), adaptive_limit_(limit_settings(setting, pool)) {}

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
