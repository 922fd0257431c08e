// The adaptive concurrency controller driven by a simulated link: a server that answers X requests
// a second, one at a time in arrival order, behind a round trip R (with optional jitter). The
// throughput with L requests in flight is min(X, L / (R + 1/X)): what the controller must find is
// L at least that product P (the server never idles) and at most its stated band, 2 P + 2 (the
// round trip at most doubled by the queue), steady once found.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>
#include <vector>

#include "flow/adaptive_limit.hpp"

namespace {

using krest::flow::AdaptiveLimit;
using krest::flow::Clock;
using krest::flow::LimitSettings;
using namespace std::chrono_literals;

struct SimulatedLink {
  double rate = 1000;                // requests per second the server answers
  double rtt = 0.040;                // seconds, without queueing
  double jitter = 0;                 // each way, uniform within +-jitter seconds
  std::size_t app_limit = 1 << 20;   // the sender never has more than this many to send at once
  std::uint64_t overload_every = 0;  // every Nth answer is a 503 (0: none)
  double wave = 0;                   // answers leave the server together every `wave` seconds (0: each when done)
  std::uint64_t weight = 1;          // units each request weighs: the server takes weight / rate seconds for it
};

struct Run {
  std::vector<std::size_t> limits;                     // per completed request, but for the rounds that probe the base
  double throughput = 0;                               // over the second half of the run, units per second
  std::size_t most_requests_late = 0;                  // in flight at once, over the last quarter
  std::size_t min_limit_late = 0, max_limit_late = 0;  // over the last quarter
};

Clock::duration seconds_(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

Run simulate(AdaptiveLimit& limit, const SimulatedLink& link, double seconds) {
  struct Pending {
    double done;
    krest::flow::Ticket ticket;
    bool operator>(const Pending& o) const { return done > o.done; }
  };
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending;
  std::minstd_rand rng(7);
  std::uniform_real_distribution<double> spread(-link.jitter, link.jitter);
  const auto epoch = Clock::time_point{} + 1h;
  double now = 0, server_free = 0;
  std::uint64_t answers = 0, late_answers = 0;
  const auto w = static_cast<std::size_t>(link.weight);
  Run run;
  while (now < seconds) {
    while (pending.size() * w < std::min(limit.limit(), link.app_limit)) {
      const auto ticket = limit.sent((pending.size() + 1) * w, epoch + seconds_(now), link.weight);
      const double arrive = now + std::max(0.0, link.rtt / 2 + spread(rng));
      const double start = std::max(arrive, server_free);
      server_free = start + static_cast<double>(w) / link.rate;
      const double leaves = link.wave > 0 ? std::ceil(server_free / link.wave) * link.wave : server_free;
      pending.push({leaves + std::max(0.0, link.rtt / 2 + spread(rng)), ticket});
    }
    const Pending p = pending.top();
    pending.pop();
    now = p.done;
    const auto at = epoch + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(now));
    ++answers;
    if (link.overload_every && answers % link.overload_every == 0) {
      limit.overloaded(at);
      limit.unmeasured(p.ticket, at);
    } else {
      limit.completed(p.ticket, at);
    }
    if (now > seconds / 2) late_answers += w;
    if (now > seconds * 3 / 4) run.most_requests_late = std::max(run.most_requests_late, pending.size() + 1);
    if (!limit.probing()) run.limits.push_back(limit.limit());
  }
  run.throughput = static_cast<double>(late_answers) / (seconds / 2);
  const auto quarter = run.limits.begin() + static_cast<std::ptrdiff_t>(run.limits.size() * 3 / 4);
  run.min_limit_late = *std::min_element(quarter, run.limits.end());
  run.max_limit_late = *std::max_element(quarter, run.limits.end());
  return run;
}

LimitSettings settings(std::size_t initial, std::size_t max) {
  LimitSettings s;
  s.initial = initial;
  s.max = max;
  return s;
}

}  // namespace

TEST_CASE("adaptive limit grows to its bound on a long fat link", "[unit][flow]") {
  AdaptiveLimit limit(settings(8, 128));
  SimulatedLink link;
  link.rate = 20000;  // the server could take 1600 requests at 80 ms: the bound decides
  link.rtt = 0.080;
  const auto run = simulate(limit, link, 5);
  CHECK(run.limits.back() == 128);
  // Slow start: from 8 to 128 is four doublings, a round trip each (and one more to see it).
  const auto first_at_max = std::find(run.limits.begin(), run.limits.end(), 128u) - run.limits.begin();
  CHECK(first_at_max < 8 * 128);
  CHECK(run.throughput > 0.95 * 128 / 0.080);
}

TEST_CASE("adaptive limit doubles up to 128 in startup and grows by half a round at most beyond", "[unit][flow]") {
  // A doubling from 128 requests would open 128 connections at once; past it the target leads.
  // Requests of 4 units each: 128 of them are 512 units.
  for (std::uint64_t weight : {1, 4}) {
    CAPTURE(weight);
    const std::size_t cap = 128 * weight;
    AdaptiveLimit limit(settings(16, 4 * cap));
    SimulatedLink link;
    link.rate = 20000.0 * static_cast<double>(weight);  // 1600 requests in flight at 80 ms: the bound decides
    link.rtt = 0.080;
    link.weight = weight;
    const auto run = simulate(limit, link, 5);
    CHECK(run.limits.back() == 4 * cap);
    CHECK(std::find(run.limits.begin(), run.limits.end(), cap) != run.limits.end());
    double steepest = 0;  // the largest step from the cap or more, as a factor
    for (std::size_t i = 1; i < run.limits.size(); ++i)
      if (run.limits[i - 1] >= cap)
        steepest = std::max(steepest, static_cast<double>(run.limits[i]) / static_cast<double>(run.limits[i - 1]));
    CHECK(steepest <= 1.51);
  }
}

TEST_CASE("adaptive limit settles within twice the link's bandwidth delay product", "[unit][flow]") {
  for (double rtt : {0.0005, 0.002, 0.020, 0.080}) {
    CAPTURE(rtt);
    AdaptiveLimit limit(settings(8, 256));
    SimulatedLink link;
    link.rate = 1000;
    link.rtt = rtt;
    const auto run = simulate(limit, link, 60);
    const double bdp = link.rate * rtt + 1;  // the one being answered, and those on the way
    CAPTURE(bdp, run.min_limit_late, run.max_limit_late, run.throughput);
    // The server is kept busy...
    CHECK(run.throughput > 0.95 * link.rate);
    // ...with no more queued than the band allows (measured with no fewer than the min bound of 4
    // in flight, a product below 4 looks like 4)...
    CHECK(static_cast<double>(run.max_limit_late) <= 2.2 * std::max(bdp, 4.0) + 2);
    CHECK(static_cast<double>(run.min_limit_late) >= bdp);
    // ...and no oscillation once settled.
    CHECK(static_cast<double>(run.max_limit_late - run.min_limit_late) <= std::max(0.1 * bdp, 2.0));
  }
}

TEST_CASE("adaptive limit counts requests that weigh several units by their weight", "[unit][flow]") {
  // The producer's POSTs grow from 500 records to 2000 on a long link and count 4 units each: the
  // same work in flight, in a quarter of the requests.
  for (std::uint64_t weight : {1, 4}) {
    CAPTURE(weight);
    AdaptiveLimit limit(settings(16, 512));
    SimulatedLink link;
    link.rate = 2000;  // units per second
    link.rtt = 0.020;
    link.weight = weight;
    const auto run = simulate(limit, link, 30);
    const double bdp = link.rate * link.rtt + static_cast<double>(weight);
    CAPTURE(bdp, run.min_limit_late, run.max_limit_late, run.throughput, run.most_requests_late);
    CHECK(run.throughput > 0.95 * link.rate);
    CHECK(static_cast<double>(run.min_limit_late) >= bdp);
    CHECK(static_cast<double>(run.max_limit_late) <= 2.2 * bdp + 2);
    CHECK(std::abs(limit.product() - link.rate * link.rtt) <= 0.25 * link.rate * link.rtt);
    CHECK(static_cast<double>(run.most_requests_late) <= (2.2 * bdp + 2) / static_cast<double>(weight) + 1);
  }
}

TEST_CASE("adaptive limit leaves startup at one round trip of twice its base on a long link or three times on any",
          "[unit][flow]") {
  // On a link of 10 ms or more a round trip of twice the base is a queue (one more doubling would
  // add to it); on a short one a busy CPU makes such a round alone, and it takes two in a row.
  // (A round ends with its first answer: the answers after it are measured in the next one.)
  const auto rounds = [](Clock::duration base, std::initializer_list<double> factors) {
    LimitSettings s = settings(4, 1024);
    s.startup_most = 1024;
    AdaptiveLimit limit(s);
    auto t = Clock::time_point{} + 1h;
    for (const double factor : factors) {
      std::vector<krest::flow::Ticket> out;
      for (std::size_t i = 0; i < limit.limit(); ++i) out.push_back(limit.sent(i + 1, t));
      t += std::chrono::duration_cast<Clock::duration>(base * factor);
      for (const auto& ticket : out) limit.completed(ticket, t);
    }
    return limit.startup();
  };
  CHECK(rounds(40ms, {1, 1, 1}));
  CHECK_FALSE(rounds(40ms, {1, 1, 2.5, 1}));
  CHECK(rounds(2ms, {1, 1, 2.5, 1}));
  CHECK_FALSE(rounds(2ms, {1, 1, 2.5, 2.5, 1}));
  // Three times the base is a queue on any link: no CPU hiccup makes a whole round so slow.
  CHECK_FALSE(rounds(2ms, {1, 1, 3.5, 1}));
  // Half again the base, once, does not end it on a long link either: the first bodies of a load
  // on a slow link cross so before compression turns on.
  CHECK(rounds(40ms, {1, 1, 1.75, 1}));
  CHECK_FALSE(rounds(40ms, {1, 1, 1.75, 1.75, 1}));
}

TEST_CASE("adaptive limit shrinks when the link slows down", "[unit][flow]") {
  AdaptiveLimit limit(settings(8, 256));
  SimulatedLink link;
  link.rate = 2000;
  link.rtt = 0.040;  // 80 in flight fill it
  auto fast = simulate(limit, link, 20);
  CHECK(fast.min_limit_late >= 80);
  link.rate = 250;  // now 11 do
  auto slow = simulate(limit, link, 20);
  CAPTURE(slow.min_limit_late, slow.max_limit_late);
  CHECK(slow.max_limit_late <= 26);
  CHECK(slow.throughput > 0.95 * link.rate);
}

TEST_CASE("adaptive limit stays within its bounds", "[unit][flow]") {
  LimitSettings s = settings(8, 32);
  s.min = 4;
  AdaptiveLimit limit(s);
  SimulatedLink link;
  link.rate = 100000;
  link.rtt = 0.1;
  auto run = simulate(limit, link, 5);
  CHECK(*std::max_element(run.limits.begin(), run.limits.end()) == 32);
  link.rate = 10;  // one request every 100 ms: two in flight would do
  run = simulate(limit, link, 120);
  CHECK(*std::min_element(run.limits.begin(), run.limits.end()) >= 4);
  // Back down near the product its base probes can see: they take 0.9 (L - 2) / 2, 4 or 5 out, a
  // round trip of 0.5 or 0.6 s at 10 answers a second...
  CAPTURE(limit.max_rate(), limit.product(), run.max_limit_late);
  CHECK(limit.product() <= 6.0);
  CHECK(run.limits.back() <= 2 * 6 + 2);  // ...twice that, and the floor
}

TEST_CASE("adaptive limit does not grow for a sender that does not use it", "[unit][flow]") {
  AdaptiveLimit limit(settings(8, 256));
  SimulatedLink link;
  link.rate = 10000;
  link.rtt = 0.040;
  link.app_limit = 5;
  const auto run = simulate(limit, link, 10);
  CHECK(run.limits.back() == 8);
}

TEST_CASE("adaptive limit halves on 503 once per round trip", "[unit][flow]") {
  AdaptiveLimit limit(settings(64, 256));
  const auto t0 = Clock::time_point{} + 1h;
  const auto a = limit.sent(1, t0), b = limit.sent(2, t0);
  limit.overloaded(t0);
  limit.overloaded(t0);  // a second answer of the same round trip
  CHECK(limit.limit() == 32);
  CHECK_FALSE(limit.startup());
  limit.unmeasured(a, t0 + 40ms);  // ends the round
  limit.unmeasured(b, t0 + 40ms);
  (void)limit.sent(1, t0 + 40ms);
  limit.overloaded(t0 + 40ms);
  CHECK(limit.limit() == 16);

  // Under a proxy that refuses every tenth answer, the limit stays low instead of growing.
  AdaptiveLimit busy(settings(8, 256));
  SimulatedLink link;
  link.rate = 10000;
  link.rtt = 0.040;
  link.overload_every = 10;
  const auto run = simulate(busy, link, 10);
  CHECK(run.max_limit_late <= 16);
}

TEST_CASE("adaptive limit keeps a jittery link full", "[unit][flow]") {
  AdaptiveLimit limit(settings(8, 256));
  SimulatedLink link;
  link.rate = 1000;
  link.rtt = 0.040;
  link.jitter = 0.005;
  const auto run = simulate(limit, link, 60);
  CAPTURE(run.min_limit_late, run.max_limit_late);
  CHECK(run.throughput > 0.9 * link.rate);
  CHECK(run.max_limit_late <= 2.4 * 41 + 2);  // the base is the lowest of jittery round means
}

TEST_CASE("adaptive limit takes answers that come in waves at the rate they come", "[unit][flow]") {
  // A busy server's answers leave in waves (an event loop that writes what it has each turn): a
  // request sent just before one wave and answered in the next must not count both over one
  // wave's time, which overstates the rate, and the limit after it, by up to twice.
  for (double wave : {0.005, 0.010, 0.020}) {
    CAPTURE(wave);
    AdaptiveLimit limit(settings(8, 1024));
    SimulatedLink link;
    link.rate = 2000;
    link.rtt = 0.020;
    link.wave = wave;
    const auto run = simulate(limit, link, 20);
    CAPTURE(limit.max_rate(), run.min_limit_late, run.max_limit_late, run.throughput);
    CHECK(run.throughput > 0.95 * link.rate);
    CHECK(limit.max_rate() < 1.2 * link.rate);
    // The product: the answers of a round trip and of a wave's wait at most.
    const double bdp = link.rate * (link.rtt + wave) + 1;
    CHECK(static_cast<double>(run.max_limit_late) <= 2.2 * bdp + 2);
  }
}

TEST_CASE("adaptive limit takes the lowest round trip of recent rounds as its base", "[unit][flow]") {
  AdaptiveLimit limit(settings(8, 256));
  auto t = Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    const auto ticket = limit.sent(1, t);
    t += 50ms;
    limit.completed(ticket, t);
  }
  CHECK(limit.base_rtt() == 50ms);
  // The path got longer for good (a route change): after base_window the new round trip is the base.
  for (int i = 0; i < 400; ++i) {
    const auto ticket = limit.sent(1, t);
    t += 90ms;
    limit.completed(ticket, t);
  }
  CHECK(limit.base_rtt() == 90ms);
}

TEST_CASE("adaptive limit does not double in rounds held back by handshakes", "[unit][flow]") {
  // Requests waiting for connections whose handshakes stall (many at once on busy CPUs) are held
  // back by those, not by the limit: doubling would open yet more connections.
  AdaptiveLimit limit(settings(16, 256));
  auto t = Clock::time_point{} + 1h;
  const auto round = [&](bool connecting) {
    std::vector<krest::flow::Ticket> out;
    for (std::size_t i = 0; i < limit.limit(); ++i) out.push_back(limit.sent(i + 1, t));
    t += 10ms;
    for (const auto& ticket : out) limit.completed(ticket, t, connecting);
  };
  for (int i = 0; i < 5; ++i) round(true);
  CHECK(limit.limit() == 16);
  CHECK(limit.startup());  // nor does it take the flat rate of those rounds for a full pipe
  round(false);
  CHECK(limit.limit() == 32);
  round(false);
  CHECK(limit.limit() == 64);
}

TEST_CASE("adaptive limit starts wider on a link a connect shows long", "[unit][flow]") {
  // Startup's first limit is for a link of initial_rtt (10 ms) or shorter: a longer one carries
  // as many more requests for the same rate, up to what startup may reach at all.
  const auto started = [](Clock::duration rtt, std::size_t max = 192) {
    AdaptiveLimit limit(settings(16, max));
    limit.link_round_trip(rtt);
    return limit.limit();
  };
  CHECK(started(80ms) == 128);
  CHECK(started(40ms) == 64);
  CHECK(started(20ms) == 32);
  CHECK(started(10ms) == 16);
  CHECK(started(1ms) == 16);
  CHECK(started(2000ms) == 128);   // startup_most
  CHECK(started(80ms, 48) == 48);  // the bound
  // Once an answer measured a round trip, that decides: a connect no longer widens it.
  AdaptiveLimit measured(settings(16, 192));
  auto t = Clock::time_point{} + 1h;
  const auto ticket = measured.sent(1, t);
  t += 5ms;
  measured.completed(ticket, t);
  REQUIRE(measured.startup());
  measured.link_round_trip(80ms);
  CHECK(measured.limit() == 16);
}

TEST_CASE("adaptive limit holds at 128 in startup until the rate there stops growing", "[unit][flow]") {
  // The rounds just after a doubling to 128 carry requests that waited for the connections opened
  // for it: answered 80 ms after they went out (the exchange's own time), their answers still
  // came 250 ms after they were sent, a third of the rate. Taken for the link's, that rate would
  // cut the limit to 2 x 41 = 84 requests where the link holds 128 and more.
  AdaptiveLimit limit(settings(16, 512));
  auto t = Clock::time_point{} + 1h;
  const auto round = [&](Clock::duration answered_after) {
    std::vector<krest::flow::Ticket> out;
    for (std::size_t i = 0; i < limit.limit(); ++i) out.push_back(limit.sent(i + 1, t));
    t += answered_after;
    for (const auto& ticket : out) limit.completed(ticket, t, false, Clock::duration(80ms));
  };
  while (limit.limit() < 128) round(250ms);
  round(250ms);
  round(250ms);
  CHECK(limit.limit() == 128);
  CHECK(limit.startup());
  // Connections ready: answers after a round trip, the rate grows, then stays (the limit holds
  // it): startup ends there, and the limit grows by half at most.
  for (int i = 0; i < 6 && limit.startup(); ++i) round(80ms);
  CHECK_FALSE(limit.startup());
  CHECK(limit.limit() == 192);
}
