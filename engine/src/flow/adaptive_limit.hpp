#pragma once
// The number of requests to keep in flight, adapted to the link as BBR sizes TCP's window, apart
// from any I/O so that it can be driven by synthetic samples.
//
// Time is cut into rounds: a round ends when the answer to the first request sent after it
// began comes back (one round trip). Each answer yields a delivery rate — the answers that came
// while it was out, over the time it was out, as BBR samples it, but never over less than two
// recent round trips, from an earlier answer (answers come in waves) — and each round its highest
// rate and its mean round-trip time. (Requests may weigh several units each, see sent(): the
// rates, the product and the limit are then in units.) The link's bandwidth-delay product — the
// requests it holds without any waiting in a queue — is the highest rate of the last `rate_rounds`
// rounds times the lowest round mean of the last `base_window`; the limit is `gain` times that,
// plus `queue_floor`:
//  - startup: the limit doubles every round (while it is what holds the sender back) until the
//    rate stops growing by a quarter over three rounds, as TCP's slow start, or two round trips
//    in a row are half again their base, or one is twice its base on a link of 10 ms or more or
//    three times on any (a queue is building, as CUBIC's HyStart sees it); it then leaves
//    startup at the target, not below what was in flight a doubling before nor above half again
//    the limit. It doubles up to `startup_most` requests at most, and holds there until one of
//    those ends startup. It begins at `initial`, or on a link known to be longer than
//    `initial_rtt` (a connect shows it) at as many more as it is longer;
//  - then it follows the target: down at once, up by at most half per round, so that whatever
//    bandwidth frees up is found (more in flight than the product shows as a higher rate);
//  - 429 or 503 from the proxy: halve, and do not grow for `cooldown_rounds`;
//  - a queue that stands for long would become the base itself, so before the lowest round trip
//    grows older than half its window, the limit drops a little below the product for two
//    rounds, the queue drains and the base is measured afresh (BBR's ProbeRTT): two round trips
//    at half speed every base_window / 2, under 1% at 80 ms.
// With `gain` 2 the limit settles where the round trip is at most twice its base: a proxy kept
// busy, without an ever-growing queue in front of it.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace krest::flow {

using Clock = std::chrono::steady_clock;

struct LimitSettings {
  std::size_t initial = 16;
  // `initial` is for a link of this round trip or shorter: a longer one starts with as many more
  // as it is longer (up to startup_most), once a connect shows its length (link_round_trip()).
  // 10 ms, not 20 (through krest-netem, 5-6 interleaved runs each): tails at 20 ms read 1.05-1.08x
  // as fast (no cap, 1 Gbit/s), at 80 ms and 1 Gbit/s 1.12x; loads at 80 ms 1.12-1.13x; at
  // 100 Mbit/s tails within noise, loads at 20 ms too.
  std::chrono::milliseconds initial_rtt{10};
  std::size_t min = 4;
  std::size_t max = 128;
  double gain = 2;
  double queue_floor = 2;  // requests allowed beyond the gain however small the product
  // Startup doubles the limit up to this many requests (of the weight sent last) at most; beyond
  // it the target leads, by half a round at most (a doubling there would open that many
  // connections at once).
  std::size_t startup_most = 128;
  std::size_t rate_rounds = 10;
  int cooldown_rounds = 4;
  std::chrono::milliseconds base_window{20000};
};

// What the controller needs back about one request: handed out by sent(), returned with its end.
struct Ticket {
  std::uint64_t sequence = 0;
  std::uint64_t weight = 1;     // the units its answer delivers (see sent())
  std::uint64_t delivered = 0;  // units delivered when it went out
  Clock::time_point sent{};
};

class AdaptiveLimit {
 public:
  explicit AdaptiveLimit(LimitSettings settings = {});

  std::size_t limit() const { return static_cast<std::size_t>(limit_); }
  std::size_t most() const { return std::max(settings_.min, settings_.max); }

  // A request goes out with `in_flight` requests out, itself included. Where requests differ in
  // size, each counts as `weight` units, and the limit, the rates and the product are in units
  // (in_flight too): a producer whose POSTs grow from 500 to 1000 records counts each as 2.
  Ticket sent(std::size_t in_flight, Clock::time_point now, std::uint64_t weight = 1);
  // Its answer came: a delivery, and its round trip. `connecting`: requests are waiting now for
  // connections whose handshakes stall, so what holds the sender back is those, not the limit.
  // `round_trip`: the exchange's own time where known; the time since sent() also holds any
  // wait for a connection (for another request's answer, or a handshake: not the link's queue).
  void completed(const Ticket& ticket, Clock::time_point now, bool connecting = false,
                 std::optional<Clock::duration> round_trip = std::nullopt);
  // It ended without a round trip worth measuring: an answer on a connection it had to open
  // first (`delivered`: a handshake's round trips are not the link's queue), or a failure.
  void unmeasured(const Ticket& ticket, Clock::time_point now, bool delivered = false, bool connecting = false);
  // Whether the end of this request ends a round (where `connecting` above is looked at).
  bool ends_round(const Ticket& ticket) const { return round_open_ && ticket.sequence >= round_ends_at_; }
  // The proxy answered 429 or 503: too much.
  void overloaded(Clock::time_point now);
  // The link's round trip as a connect showed it, before any answer measured one: startup on a
  // link longer than initial_rtt begins wider.
  void link_round_trip(Clock::duration rtt);
  // Whether link_round_trip() would still be heard: in startup, before any round trip is measured.
  bool link_length_wanted() const { return startup_ && base_rtt() == Clock::duration::zero(); }

  // What the limit becomes if startup doubles it at the end of this round (the connections worth
  // opening ahead of it).
  std::size_t startup_next() const;

  // For tests and metrics.
  bool startup() const { return startup_; }
  bool probing() const { return probe_rounds_ > 0; }
  Clock::duration base_rtt() const;
  double max_rate() const;  // answers per second
  double product() const;   // max_rate() times base_rtt(): requests the link holds unqueued
  std::uint64_t rounds() const { return rounds_; }

 private:
  void end_round(Clock::time_point now, bool connecting);
  double startup_most() const;  // in units
  void follow_target(double target);
  void sample_rate(const Ticket& ticket, Clock::time_point now);

  LimitSettings settings_;
  double limit_;
  bool startup_ = true;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t last_weight_ = 1;  // of the request sent last
  // The round: open from round_started_; ends with the answer to round_ends_at_ or a later one.
  bool round_open_ = false;
  std::uint64_t round_ends_at_ = 0;
  double rtt_sum_ = 0;
  std::uint64_t samples_ = 0;
  double round_rate_ = 0;        // the round's highest delivery rate
  std::uint64_t delivered_ = 0;  // units delivered so far, in all
  // Answers delivered by then, at each answer's time: the oldest is at least two recent round trips
  // back (or as far as kept), where a rate sample starts (see sample_rate()).
  std::deque<std::pair<Clock::time_point, std::uint64_t>> deliveries_;
  bool limited_ = false;         // a request went out with the limit reached: the limit held the sender back
  bool backed_off_ = false;      // halved for a 429/503 in this round already
  int cooldown_ = 0;             // rounds left without growth after a 429/503
  std::uint64_t rounds_ = 0;
  // Startup's full-pipe check: the best rate so far and the rounds since it grew by a quarter.
  double startup_best_ = 0;
  int startup_flat_ = 0;
  int startup_slow_ = 0;  // rounds in a row with the round trip past gain times its base
  // Round rates of the last rate_rounds rounds, descending from front (a monotonic queue).
  std::deque<std::pair<std::uint64_t, double>> rates_;
  // Round means of the last base_window, ascending from front.
  std::deque<std::pair<Clock::time_point, double>> means_;
  int probe_rounds_ = 0;  // rounds left of a base probe
  double probe_saved_ = 0;
  Clock::time_point probed_at_{};
};

}  // namespace krest::flow
