#include "flow/adaptive_limit.hpp"

#include <algorithm>
#include <utility>

namespace krest::flow {
namespace {
// Startup ends once round trips run this far over their base, two rounds in a row...
constexpr double kStartupQueue = 1.5;
// ...or this far in one round, on a link whose base is kLongBase (seconds) or more. There a round
// trip of twice the base is a queue, not a busy CPU's hiccup, and waiting a round to see it again
// doubles what is in flight once more (and opens as many connections): a krest load at 20 ms ran
// 1.14x of the old controller with this rule, 1.07x without (interleaved, 4 runs each). Only past
// twice: the first rounds of a load at 100 Mbit/s cross before compression turns on and show 1.5x
// for a round, which passes (ending startup there cost 0.80x at 80 ms and 100 Mbit/s).
constexpr double kStartupQueueAtOnce = 2;
constexpr double kLongBase = 0.010;
// ...or this far in one round on any link: a CPU's hiccup does not triple a round's mean, and
// waiting for a second such round on a short link doubled the limit into a queue it had already
// shown (a tail at 0.2 ms went from 32 to 64 fetches, and as many connections, with rounds at 3.5x
// and then 11x the base). Tails with this rule ran 1.06x at 0.2 ms, 1.17x at 2 ms and 1.10x on
// loopback, loads 1.00-1.09x (interleaved, 4-8 runs each).
constexpr double kStartupQueueAtOnceAnyLink = 3;
// Answers remembered for rate samples. Two round trips hold far fewer, but not after a stall of
// seconds at thousands of answers a second: the span then reaches back only as far as these.
constexpr std::size_t kMostDeliveries = 4096;
}  // namespace

AdaptiveLimit::AdaptiveLimit(LimitSettings settings)
    : settings_(settings),
      limit_(static_cast<double>(std::clamp(settings.initial, settings.min, std::max(settings.min, settings.max)))) {}

Ticket AdaptiveLimit::sent(std::size_t in_flight, Clock::time_point now, std::uint64_t weight) {
  last_weight_ = std::max<std::uint64_t>(1, weight);
  const Ticket ticket{next_ticket_++, last_weight_, delivered_, now};
  if (!round_open_) {
    round_open_ = true;
    round_ends_at_ = ticket.sequence;
  }
  if (in_flight >= limit()) limited_ = true;
  return ticket;
}

void AdaptiveLimit::sample_rate(const Ticket& ticket, Clock::time_point now) {
  delivered_ += ticket.weight;
  // Sampled over the request's own flight alone (as BBR samples), a busy proxy's answers overstate
  // the rate: they come in waves, and a request sent just before one wave and answered in the next
  // counts both over one wave's time (at 20 ms, samples up to 1.7x the rate the answers came at).
  // So the span starts at an earlier answer, one at least two recent round trips back: from
  // the end of a wave, it holds whole waves.
  // The last measured round's mean is the newest of means_ (which drops only older or higher ones).
  const double recent_rtt = means_.empty() ? 0.0 : means_.back().second;
  const auto recent = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(2 * recent_rtt));
  const auto span = std::max(now - ticket.sent, recent);
  while (deliveries_.size() > 1 && deliveries_[1].first <= now - span) deliveries_.pop_front();
  std::pair<Clock::time_point, std::uint64_t> from{ticket.sent, ticket.delivered};
  if (!deliveries_.empty() && deliveries_.front().first < from.first) from = deliveries_.front();
  if (deliveries_.size() >= kMostDeliveries) deliveries_.pop_front();
  deliveries_.emplace_back(now, delivered_);
  const double seconds = std::chrono::duration<double>(now - from.first).count();
  if (seconds > 0) round_rate_ = std::max(round_rate_, static_cast<double>(delivered_ - from.second) / seconds);
}

void AdaptiveLimit::completed(const Ticket& ticket, Clock::time_point now, bool connecting,
                              std::optional<Clock::duration> round_trip) {
  rtt_sum_ += std::chrono::duration<double>(round_trip ? *round_trip : now - ticket.sent).count();
  ++samples_;
  sample_rate(ticket, now);
  if (ends_round(ticket)) end_round(now, connecting);
}

void AdaptiveLimit::unmeasured(const Ticket& ticket, Clock::time_point now, bool delivered, bool connecting) {
  if (delivered) sample_rate(ticket, now);
  if (ends_round(ticket)) end_round(now, connecting);
}

void AdaptiveLimit::overloaded(Clock::time_point) {
  startup_ = false;
  cooldown_ = settings_.cooldown_rounds;
  const double lowest = static_cast<double>(settings_.min);
  if (probe_rounds_ > 0) probe_saved_ = std::max(lowest, probe_saved_ / 2);
  if (backed_off_) return;  // once per round trip, as TCP halves once per loss event
  backed_off_ = true;
  limit_ = std::max(lowest, limit_ / 2);
}

void AdaptiveLimit::link_round_trip(Clock::duration rtt) {
  // Doubling from `initial` takes a round trip per step, and on a long link each is long while
  // the requests it can have out carry little (at 80 ms, a tail of 500,000 records spent half its
  // time getting from 16 to 128). A TCP connection's initial window is so many segments whatever
  // the link; a request limit is a rate times a round trip, so a longer link is given as many
  // more requests, as the rate `initial` carries on a short one.
  if (!link_length_wanted() || rtt <= settings_.initial_rtt) return;
  const double longer = std::chrono::duration<double>(rtt) / std::chrono::duration<double>(settings_.initial_rtt);
  const double wider =
      std::min({static_cast<double>(settings_.initial) * longer, startup_most(), static_cast<double>(most())});
  limit_ = std::max(limit_, wider);
}

double AdaptiveLimit::startup_most() const {
  return static_cast<double>(settings_.startup_most) * static_cast<double>(last_weight_);
}

std::size_t AdaptiveLimit::startup_next() const {
  const double next = std::min({2 * limit_, static_cast<double>(most()),
                                std::max(limit_, startup_most())});
  return static_cast<std::size_t>(next);
}

Clock::duration AdaptiveLimit::base_rtt() const {
  if (means_.empty()) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(means_.front().second));
}

double AdaptiveLimit::max_rate() const { return rates_.empty() ? 0 : rates_.front().second; }

double AdaptiveLimit::product() const { return max_rate() * std::chrono::duration<double>(base_rtt()).count(); }

void AdaptiveLimit::follow_target(double target) {
  const double lowest = static_cast<double>(settings_.min);
  const double highest = static_cast<double>(std::max(settings_.min, settings_.max));
  if (target < limit_)
    limit_ = std::max(lowest, target);
  else if (cooldown_ == 0)
    limit_ = std::min({highest, target, limit_ * 1.5});
}

void AdaptiveLimit::end_round(Clock::time_point now, bool connecting) {
  round_open_ = false;
  // The limit held the sender back only if the requests out were not waiting for handshakes:
  // doubling then would open yet more connections, whose handshakes slow the others further.
  const bool limited = std::exchange(limited_, false) && !connecting;
  const bool backed_off = std::exchange(backed_off_, false);
  const auto samples = std::exchange(samples_, 0);
  const double rate = std::exchange(round_rate_, 0.0);
  const double rtt_sum = std::exchange(rtt_sum_, 0.0);
  if (samples == 0 && rate == 0) return;  // nothing but failures
  ++rounds_;
  if (cooldown_ > 0 && !backed_off) --cooldown_;
  // A round of answers on new connections only has a rate but no round trip to go by.
  const double mean = samples > 0 ? rtt_sum / static_cast<double>(samples) : 0;

  // The lowest round mean of the last base_window, and the highest rate of the last rate_rounds.
  if (samples > 0) {
    while (!means_.empty() && means_.back().second >= mean) means_.pop_back();
    means_.emplace_back(now, mean);
  }
  if (means_.empty()) return;
  while (means_.size() > 1 && means_.front().first < now - settings_.base_window) means_.pop_front();
  const bool probed = probe_rounds_ > 0;
  if (!probed) {  // a probe's low rate is by design, not the link's
    while (!rates_.empty() && rates_.back().second <= rate) rates_.pop_back();
    rates_.emplace_back(rounds_, rate);
    while (rates_.front().first + settings_.rate_rounds <= rounds_) rates_.pop_front();
  }
  if (probed) {
    if (--probe_rounds_ > 0) return;
    limit_ = probe_saved_;  // and on to the target, with the base measured afresh
  }
  if (backed_off) return;  // the halving stands for this round

  const double lowest = static_cast<double>(settings_.min);
  const double highest = static_cast<double>(std::max(settings_.min, settings_.max));
  if (startup_) {
    // Full pipe: three rounds without the rate growing by a quarter (while the limit was the
    // bound), or a round trip already twice its base (a queue is building: CUBIC's HyStart).
    if (rate > startup_best_ * 1.25) {
      startup_best_ = rate;
      startup_flat_ = 0;
    } else if (limited && ++startup_flat_ >= 3) {
      startup_ = false;
    }
    // (Twice in a row: one slow round is more often a busy CPU than a queue.)
    if (samples > 0 && mean > kStartupQueue * means_.front().second) {
      const double base = means_.front().second;
      if (++startup_slow_ >= 2 || (base >= kLongBase && mean > kStartupQueueAtOnce * base) ||
          mean > kStartupQueueAtOnceAnyLink * base)
        startup_ = false;
    } else {
      startup_slow_ = 0;
    }
    if (startup_) {
      // At startup_most it holds: a doubling would open as many connections again at once. It
      // does not leave startup there yet: the rounds just after a doubling carry requests that
      // waited for connections opened for it, whose low rate would take the limit far below what
      // the link holds (at 80 ms, from 128 to 41, and a load ran 0.75x).
      if (limited) limit_ = static_cast<double>(startup_next());
      return;
    }
    // What was in flight a doubling ago showed no queue: the target is not taken below it; nor
    // above half again the limit (beyond startup_most the target leads by half a round at most).
    const double target = settings_.gain * product() + settings_.queue_floor;
    limit_ = std::clamp(std::max(limit_ / 2, target), lowest, std::min(highest, 1.5 * limit_));
    return;
  }
  if (!probed && now - means_.front().first > settings_.base_window / 2 &&
      now - probed_at_ > settings_.base_window / 2) {
    probe_rounds_ = 2;
    probe_saved_ = limit_;
    probed_at_ = now;
    // A little below the product the limit stands for: the queue drains whatever the gain.
    limit_ = std::max(lowest, 0.9 * (limit_ - settings_.queue_floor) / settings_.gain);
    return;
  }
  const double target = settings_.gain * product() + settings_.queue_floor;
  // Growing is only worth it while the limit is what holds the sender back.
  if (target < limit_ || limited) follow_target(target);
}

}  // namespace krest::flow
