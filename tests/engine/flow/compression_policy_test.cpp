// When compression=auto compresses, driven by what exchanges would show: bodies timed, the
// machine's idle CPU, what each direction delivers.
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

// A consume exchange: an answer of 90 KB (as sent: `wire`) whose body took `seconds`.
CompressionPolicy::Answer consume(double seconds, Coding got = Coding::identity, std::size_t wire = 90000) {
  CompressionPolicy::Answer a;
  a.response_coding = got;
  a.response_plain = 90000;
  a.response_wire = got == Coding::identity ? 90000 : wire;
  a.response_transfer_seconds = seconds;
  return a;
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
  // Nothing known: as they are.
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  CHECK(p.accept_encoding(t0).empty());
  // 40 KB in 4 ms (10 MB/s): a slow link; but no CPU reading yet.
  p.observe(produce(0.004), t0);
  p.observe(consume(0.009), t0);
  CHECK(p.request_coding(40000, t0) == Coding::identity);
  p.machine_idle(0.7);
  CHECK(p.request_coding(40000, t0) == Coding::zstd);
  CHECK(p.accept_encoding(t0) == "zstd, gzip");

  // The same bodies on a busy machine (a proxy on the same CPUs): not turned on.
  CompressionPolicy busy(Compression::automatic);
  busy.observe(produce(0.004), t0);
  busy.machine_idle(0.2);
  CHECK(busy.request_coding(40000, t0) == Coding::identity);

  // Fast bodies (loopback, a fast link): never, however idle the machine.
  CompressionPolicy fast(Compression::automatic);
  for (int i = 0; i < 10; ++i) fast.observe(produce(0.0001), t0);
  fast.machine_idle(0.9);
  CHECK(fast.request_coding(40000, t0) == Coding::identity);
  // A few bodies held up by a busy CPU do not move the median.
  for (int i = 0; i < 5; ++i) fast.observe(produce(0.02), t0);
  CHECK(fast.request_coding(40000, t0) == Coding::identity);

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

TEST_CASE("compression auto keeps compressing only while trying without does worse", "[unit][flow][coding]") {
  for (const bool pays : {true, false}) {
    CAPTURE(pays);
    CompressionPolicy p(Compression::automatic);
    p.observe(consume(0.009), t0);
    p.machine_idle(0.7);
    auto t = t0;
    REQUIRE_FALSE(p.accept_encoding(t).empty());
    // Ten seconds compressed, 40 answers a second.
    for (int i = 0; i < 400; ++i) {
      t += 25ms;
      REQUIRE_FALSE(p.accept_encoding(t).empty());
      p.observe(consume(0.0005, Coding::zstd, 9000), t);
    }
    t += 25ms;
    CHECK(p.accept_encoding(t).empty());  // half a second without, to see
    // Without: as many answers a second when it does not pay, a quarter of them when it does.
    const int answers = pays ? 5 : 20;
    for (int i = 0; i < answers; ++i) {
      t += 500ms / answers;
      p.observe(consume(0.009), t);
    }
    t += 1ms;
    CHECK(p.accept_encoding(t).empty() != pays);
    if (!pays) CHECK(p.accept_encoding(t + 30s).empty());  // off for a minute
  }
}

TEST_CASE("compression auto tries without as soon as the CPUs are busy", "[unit][flow][coding]") {
  CompressionPolicy p(Compression::automatic);
  p.observe(produce(0.004), t0);
  p.machine_idle(0.7);
  auto t = t0;
  REQUIRE(p.request_coding(40000, t) == Coding::zstd);
  for (int i = 0; i < 3; ++i) p.machine_idle(0.05);  // averaged: under 15% idle
  t += 100ms;
  CHECK(p.request_coding(40000, t) == Coding::zstd);  // at least half a second on first
  t += 500ms;
  CHECK(p.request_coding(40000, t) == Coding::identity);
}

TEST_CASE("compression auto stops for bodies that do not shrink", "[unit][flow][coding]") {
  CompressionPolicy p(Compression::automatic);
  p.observe(produce(0.004), t0);
  p.machine_idle(0.7);
  REQUIRE(p.request_coding(40000, t0) == Coding::zstd);
  for (int i = 0; i < 3; ++i) p.observe(produce(0.004, Coding::zstd, 38000), t0);  // 5% smaller
  CHECK(p.request_coding(40000, t0 + 1ms) == Coding::identity);
  CHECK(p.request_coding(40000, t0 + 30s) == Coding::identity);
}
