// When compression=auto compresses, driven by what exchanges would show: request bodies timed,
// the machine's idle CPU, what request bodies deliver, how much bodies shrink.
#include <catch2/catch.hpp>

#include "flow/compression_policy.hpp"

using krest::Compression;
using krest::coding::Coding;
using krest::coding::CodingSet;
using krest::flow::CompressionPolicy;
using Clock = CompressionPolicy::Clock;
using namespace std::chrono_literals;

namespace {

const auto t0 = Clock::time_point{} + 1h;

// A produce exchange of a 40 KB body (`plain` before compression) that took `seconds` to arrive.
CompressionPolicy::Answer produce(double seconds, Coding sent = Coding::identity, std::size_t wire = 40000) {
  CompressionPolicy::Answer a;
  a.server_accepts = CodingSet{true, true};
  a.request_coding = sent;
  a.request_plain = 40000;
  a.request_wire = sent == Coding::identity ? 40000 : wire;
  a.request_transfer_seconds = seconds;
  a.response_plain = a.response_wire = 300;
  return a;
}

// A consume exchange: an answer of 90 KB (as sent: `wire`).
CompressionPolicy::Answer consume(Coding got = Coding::identity, std::size_t wire = 90000) {
  CompressionPolicy::Answer a;
  a.response_coding = got;
  a.response_plain = 90000;
  a.response_wire = got == Coding::identity ? 90000 : wire;
  return a;
}

// Request bodies compressed from t0 on, across a slow link with idle CPUs.
CompressionPolicy compressing_at_t0() {
  CompressionPolicy p(Compression::automatic);
  p.observe(produce(0.004), t0);  // 40 KB in 4 ms: 10 MB/s
  p.machine_idle(0.7);
  REQUIRE(p.request_coding(40000, t0) == Coding::zstd);
  return p;
}

// `span` of produce answers, `per_second` of them: their plain bytes are what delivery counts.
Clock::time_point deliver(CompressionPolicy& p, Clock::time_point t, std::chrono::milliseconds span, int per_second,
                          Coding sent) {
  const auto n = static_cast<int>(span.count() * per_second / 1000);
  for (int i = 0; i < n; ++i) {
    t += span / n;
    p.observe(produce(0.004, sent, 8000), t);
  }
  return t;
}

// A third of a second of readings (every 30 ms) at 5% idle: the average goes under 15% from 70%.
void cpus_busy(CompressionPolicy& p) {
  for (int i = 0; i < 11; ++i) p.machine_idle(0.05);
  REQUIRE(p.idle() < CompressionPolicy::kBusyIdle);
}

// Compressing since under a second before `t`, the CPUs busy all along: no try without for the
// next nine seconds, then the 10 s check.
void stays_on_busy_until_the_10s_check(CompressionPolicy& p, Clock::time_point t) {
  for (int second = 0; second < 9; ++second) {
    t = deliver(p, t, 1000ms, 40, Coding::zstd);
    p.machine_idle(0.05);
    CHECK(p.request_coding(40000, t) == Coding::zstd);
  }
  t = deliver(p, t, 1500ms, 40, Coding::zstd);
  CHECK(p.request_coding(40000, t) == Coding::identity);  // the 10 s check
}

}  // namespace

TEST_CASE("compression none, gzip and zstd do as they say", "[unit][flow][coding]") {
  CompressionPolicy none(Compression::none), gz(Compression::gzip), zs(Compression::zstd);
  CHECK(none.accept_encoding(t0).empty());
  CHECK(none.request_coding(100000, t0) == Coding::identity);
  CHECK(gz.accept_encoding(t0) == "gzip");
  CHECK(gz.request_coding(100000, t0) == Coding::gzip);
  CHECK(gz.request_coding(500, t0) == Coding::identity);  // too small to be worth it
  CHECK(zs.accept_encoding(t0) == "zstd");
  CHECK(zs.request_coding(100000, t0) == Coding::zstd);
  zs.refused();  // a 415: request bodies go as they are from now on; answers are still asked for
  CHECK(zs.request_coding(100000, t0) == Coding::identity);
  CHECK(zs.accept_encoding(t0) == "zstd");
}

TEST_CASE("compression auto turns on where bodies cross slowly and the CPUs are idle", "[unit][flow][coding]") {
  CompressionPolicy p(Compression::automatic);
  // Nothing known: request bodies as they are; answers are asked for compressed from the first.
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  CHECK(p.accept_encoding(t0) == "zstd, gzip");
  // 40 KB in 4 ms (10 MB/s): a slow link; but no CPU reading yet.
  p.observe(produce(0.004), t0);
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  p.machine_idle(0.7);
  CHECK(p.request_coding(40000, t0) == Coding::zstd);

  // The same bodies on a busy machine (a proxy on the same CPUs): not turned on.
  CompressionPolicy busy(Compression::automatic);
  busy.observe(produce(0.004), t0);
  busy.machine_idle(0.2);
  CHECK(busy.request_coding(40000, t0) == Coding::identity);
  // The same bodies with the machine idle but the client's own thread busy: bodies wait for the
  // client (a proxy on the same machine sees its bodies come as slowly as the client writes
  // them), and compressing would slow it more. Not turned on; a thread mostly idle turns it on.
  CompressionPolicy client_bound(Compression::automatic);
  client_bound.observe(produce(0.004), t0);
  client_bound.machine_idle(0.7);
  client_bound.client_thread_busy(0.8);
  CHECK(client_bound.request_coding(40000, t0) == Coding::identity);
  client_bound.client_thread_busy(0.1);
  CHECK(client_bound.request_coding(40000, t0) == Coding::zstd);
  // Bodies crawling (40 KB in 80 ms: 0.5 MB/s) are the link's doing whatever the CPUs do.
  CompressionPolicy crawling(Compression::automatic);
  crawling.observe(produce(0.08), t0);
  crawling.machine_idle(0.2);
  CHECK(crawling.request_coding(40000, t0) == Coding::zstd);

  // Fast bodies (loopback, a fast link): never, however idle the machine.
  CompressionPolicy fast(Compression::automatic);
  for (int i = 0; i < 10; ++i) fast.observe(produce(0.0001), t0);
  fast.machine_idle(0.9);
  CHECK(fast.request_coding(40000, t0) == Coding::identity);
  // A few bodies held up by a busy CPU do not move the median.
  for (int i = 0; i < 5; ++i) fast.observe(produce(0.02), t0);
  CHECK(fast.request_coding(40000, t0) == Coding::identity);
  CHECK(fast.accept_encoding(t0) == "zstd, gzip");

  // Request bodies only to a server that takes them (RFC 7694), gzip if that is all it takes.
  CompressionPolicy gzip_only(Compression::automatic);
  auto a = produce(0.004);
  a.server_accepts = CodingSet{true, false};
  gzip_only.observe(a, t0);
  gzip_only.machine_idle(0.7);
  CHECK(gzip_only.request_coding(40000, t0) == Coding::gzip);
  CompressionPolicy takes_none(Compression::automatic);
  a.server_accepts.reset();
  takes_none.observe(a, t0);
  takes_none.machine_idle(0.7);
  CHECK(takes_none.request_coding(40000, t0) == Coding::identity);
}

TEST_CASE("compression auto turns on when the last bodies crawl, before the median of 16 does",
          "[unit][flow][coding]") {
  // The start of a load across 100 Mbit/s: the first bodies cross before the link fills (40 KB in
  // 2 ms), then the link is full and they crawl; the CPUs are busy opening connections.
  CompressionPolicy p(Compression::automatic);
  p.machine_idle(0.2);
  for (int i = 0; i < 13; ++i) p.observe(produce(0.002), t0);
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  p.observe(produce(0.05), t0);  // one crawling body may be a stall
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  p.observe(produce(0.002), t0);
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  p.observe(produce(0.05), t0);  // two of the last three: the link is full
  CHECK(p.request_coding(40000, t0) == Coding::zstd);
  CHECK(p.request_rate() > CompressionPolicy::kCrawlingLink);  // the median alone would not have said so
  // Busy CPUs start no try without while the last bodies crawl (the 10 s check still comes).
  cpus_busy(p);
  auto t = deliver(p, t0, 600ms, 40, Coding::zstd);
  CHECK(p.request_coding(40000, t) == Coding::zstd);
}

TEST_CASE("compression auto keeps compressing only while trying without does worse", "[unit][flow][coding]") {
  for (const bool pays : {true, false}) {
    CAPTURE(pays);
    auto p = compressing_at_t0();
    // Ten seconds compressed, 40 answers a second.
    auto t = t0;
    for (int i = 0; i < 400; ++i) {
      t += 25ms;
      REQUIRE(p.request_coding(40000, t) == Coding::zstd);
      p.observe(produce(0.0005, Coding::zstd, 8000), t);
    }
    t += 25ms;
    CHECK(p.request_coding(40000, t) == Coding::identity);  // half a second without, to see
    // Without: as many answers a second when it does not pay, a quarter of them when it does.
    t = deliver(p, t, 500ms, pays ? 10 : 40, Coding::identity);
    t += 1ms;
    CHECK((p.request_coding(40000, t) == Coding::zstd) == pays);
    if (!pays) CHECK(p.request_coding(40000, t + 30s) == Coding::identity);  // off for a minute
  }
}

TEST_CASE("compression auto tries without once when the CPUs get busy, and again only every 10 s",
          "[unit][flow][coding]") {
  auto p = compressing_at_t0();
  cpus_busy(p);
  auto t = deliver(p, t0, 100ms, 40, Coding::zstd);
  CHECK(p.request_coding(40000, t) == Coding::zstd);  // at least half a second on first
  t = deliver(p, t, 500ms, 40, Coding::zstd);
  CHECK(p.request_coding(40000, t) == Coding::identity);
  // Half a second without carries a quarter as much: back on.
  t = deliver(p, t, 500ms, 10, Coding::identity);
  REQUIRE(p.request_coding(40000, t) == Coding::zstd);
  // The CPUs stay busy, because compression lets more through: no other try for 10 s.
  stays_on_busy_until_the_10s_check(p, t);
}

TEST_CASE("compression auto does not try without on busy CPUs while bodies crawl, but checks every 10 s",
          "[unit][flow][coding]") {
  CompressionPolicy p(Compression::automatic);
  p.observe(produce(0.08), t0);  // 40 KB in 80 ms: crawling, turned on with the CPUs busy
  p.machine_idle(0.2);
  REQUIRE(p.request_coding(40000, t0) == Coding::zstd);
  cpus_busy(p);
  auto t = deliver(p, t0, 600ms, 40, Coding::zstd);
  CHECK(p.request_coding(40000, t) == Coding::zstd);  // no half second without
  stays_on_busy_until_the_10s_check(p, t);
}

TEST_CASE("compression auto needs no try when the time before it was turned on showed it pays",
          "[unit][flow][coding]") {
  for (const bool slower_before : {true, false}) {
    CAPTURE(slower_before);
    CompressionPolicy p(Compression::automatic);
    p.observe(produce(0.004), t0);
    // Uncompressed for a second, at a quarter of what compressed will carry (or as much), while
    // the CPUs are still busy with the start.
    p.machine_idle(0.1);
    auto t = deliver(p, t0, 1000ms, slower_before ? 10 : 40, Coding::identity);
    REQUIRE(p.request_coding(40000, t) == Coding::identity);
    p.machine_idle(0.7);
    REQUIRE(p.request_coding(40000, t) == Coding::zstd);
    cpus_busy(p);
    t = deliver(p, t, 600ms, 40, Coding::zstd);
    // Busy CPUs: a try without only when the time before does not answer.
    CHECK((p.request_coding(40000, t) == Coding::zstd) == slower_before);
  }
}

TEST_CASE("compression auto stops for bodies that do not shrink", "[unit][flow][coding]") {
  auto p = compressing_at_t0();
  for (int i = 0; i < 3; ++i) p.observe(produce(0.004, Coding::zstd, 38000), t0);  // 5% smaller
  CHECK(p.request_coding(40000, t0 + 1ms) == Coding::identity);
  CHECK(p.request_coding(40000, t0 + 30s) == Coding::identity);
  CHECK(p.accept_encoding(t0 + 30s) == "zstd, gzip");  // answers are another matter

  // Answers that come compressed but barely smaller: not asked for again for a minute.
  CompressionPolicy q(Compression::automatic);
  q.observe(consume(Coding::zstd, 20000), t0);  // 4.5x: worth it
  CHECK(q.accept_encoding(t0) == "zstd, gzip");
  // Barely smaller (1.06x): an average, so a few do not stop it, a dozen do.
  for (int i = 0; i < 6; ++i) q.observe(consume(Coding::zstd, 85000), t0);
  CHECK(q.accept_encoding(t0) == "zstd, gzip");
  for (int i = 0; i < 6; ++i) q.observe(consume(Coding::zstd, 85000), t0);
  CHECK(q.accept_encoding(t0 + 1ms).empty());
  CHECK(q.accept_encoding(t0 + 59s).empty());
  CHECK(q.accept_encoding(t0 + 61s) == "zstd, gzip");
}

TEST_CASE("compression auto asks for a compressed answer to a body only when the body goes compressed",
          "[unit][flow][coding]") {
  CompressionPolicy p(Compression::automatic);
  // Before the server has said what it takes, the link cannot be judged: asked for.
  CHECK(p.accept_encoding(t0, 40000, Coding::identity) == "zstd, gzip");
  // A fast link (40 KB in 0.2 ms, 200 MB/s): bodies go plain, and so do their answers.
  for (int i = 0; i < 16; ++i) p.observe(produce(0.0002), t0);
  p.machine_idle(0.7);
  REQUIRE(p.request_coding(40000, t0) == Coding::identity);
  CHECK(p.accept_encoding(t0, 40000, Coding::identity).empty());
  CHECK(p.accept_encoding(t0, 40000, Coding::zstd) == "zstd, gzip");
  // A request without a body offered (a fetch, a lookup): asked for, whatever the link.
  CHECK(p.accept_encoding(t0) == "zstd, gzip");

  // A slow link: bodies go compressed, and their answers are asked for compressed.
  auto slow = compressing_at_t0();
  CHECK(slow.accept_encoding(t0, 40000, Coding::zstd) == "zstd, gzip");

  // A server that refused a compressed body (415), or takes none: the link is not judged by
  // bodies, and answers are asked for as before.
  slow.refused();
  CHECK(slow.accept_encoding(t0, 40000, Coding::identity) == "zstd, gzip");
  CompressionPolicy takes_none(Compression::automatic);
  auto plain_only = produce(0.004);
  plain_only.server_accepts = CodingSet{};
  takes_none.observe(plain_only, t0);
  CHECK(takes_none.accept_encoding(t0, 40000, Coding::identity) == "zstd, gzip");
}

TEST_CASE("compression auto compresses from the first body on a link a connect showed long, before any is timed",
          "[unit][flow][coding]") {
  // The server's Accept-Encoding, from an answer with no body to time (the load's topic lookup).
  CompressionPolicy::Answer lookup;
  lookup.server_accepts = CodingSet{true, true};
  lookup.response_plain = lookup.response_wire = 200;

  CompressionPolicy p(Compression::automatic);
  p.observe(lookup, t0);
  CHECK(p.request_coding(40000, t0) == Coding::identity);  // no connect yet
  p.fastest_connect(Clock::duration::max());
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  p.fastest_connect(4ms);  // two round trips of 2 ms: not long
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  p.fastest_connect(45ms);  // two round trips of 20 ms
  CHECK(p.request_coding(40000, t0) == Coding::zstd);
  CHECK(p.request_coding(500, t0) == Coding::identity);  // too small, as ever

  // A later connect quicker than that (the first one's name lookup was slow): the link is short
  // after all, and the rules for timed bodies decide.
  CompressionPolicy q(Compression::automatic);
  q.observe(lookup, t0);
  q.fastest_connect(45ms);
  REQUIRE(q.request_coding(40000, t0) == Coding::zstd);
  q.fastest_connect(3ms);
  CHECK(q.request_coding(40000, t0) == Coding::identity);

  // Busy CPUs start no try without: half a second without on such a link is judged mostly by
  // answers to bodies sent compressed before it. The 10 s check still tries.
  cpus_busy(p);
  auto t = deliver(p, t0, 600ms, 40, Coding::zstd);
  CHECK(p.request_coding(40000, t) == Coding::zstd);
  stays_on_busy_until_the_10s_check(p, t);

  // Only toward a server that takes compressed bodies.
  CompressionPolicy takes_none(Compression::automatic);
  lookup.server_accepts = CodingSet{};
  takes_none.observe(lookup, t0);
  takes_none.fastest_connect(45ms);
  CHECK(takes_none.request_coding(40000, t0) == Coding::identity);

  // Bodies that do not shrink stop it, as when it was turned on by timed bodies.
  CompressionPolicy random(Compression::automatic);
  lookup.server_accepts = CodingSet{true, true};
  random.observe(lookup, t0);
  random.fastest_connect(45ms);
  REQUIRE(random.request_coding(40000, t0) == Coding::zstd);
  for (int i = 0; i < 3; ++i) random.observe(produce(0.004, Coding::zstd, 38000), t0);
  CHECK(random.request_coding(40000, t0 + 1ms) == Coding::identity);
  CHECK(random.request_coding(40000, t0 + 30s) == Coding::identity);
}
