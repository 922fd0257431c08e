#pragma once
// When the engine compresses what it sends and asks for compressed answers, apart from any I/O.
//
// `none` never does; `gzip` and `zstd` always do, with that coding (request bodies from 1 KiB; a
// 415 turns request bodies back to uncompressed for the rest of the client's life). `automatic`:
//  - Answers are asked for compressed ("zstd, gzip") from the first request on, as browsers, Go's
//    HTTP client and Python's requests ask, and the server decides (krest-proxy by size).
//    Measured, asking costs nothing where the link is fast (a tail and a load on loopback ran as
//    fast asking as not), and a slow link needs it for a load too: a produce answer lists an
//    offset per record, 16 KB per 500 records, and at 100 Mbit/s a load with its requests
//    compressed ran at 350,000 records/s with those answers as they were, 560,000 with them
//    compressed. Answers that do not shrink by a fifth stop the asking for a minute. The answer
//    to a request body (1 KiB or more) is asked for compressed only when the body itself goes
//    compressed, or to a server that takes no compressed bodies (where the link cannot be
//    judged): a body sent plain was judged to cross faster than it compresses, and its answer is
//    smaller (a quarter of a load's body). Where the CPUs are what a load waits for, compressing
//    those answers and decoding them had cost 4-5 % of krest-proxy's CPU and of the client's
//    (a load on loopback through the Kafka backend).
//  - Request bodies are compressed only where it pays, as measured, because the cost is this
//    machine's CPU: where the link, not the CPU, is what everything waits for, bodies cross
//    slowly while this machine has CPU to spare. krest-proxy reports how long each request body
//    took to arrive (Server-Timing "body;dur"); bodies under 16 KiB say nothing (a receiver's
//    network card may hand over that much at once). When the median of the last 16 timed bodies
//    crossed under kSlowLink (32 MB/s) per connection — a connection's share of a link under
//    ~250 Mbit/s — and this machine's CPUs were idle at least kSpareIdle (40%) of the last 30 ms
//    (the first 30 ms from the client's start: a load's first bodies), and the thread running
//    the client's exchanges (the one that would compress) was busy under kBusyThread (half) of
//    them, request bodies are compressed. On a fast link bodies cross fast; with the proxy on the
//    same machine they may cross slowly, but because it or the client waits for a CPU: none is
//    spare, or the client's thread is what its bodies wait for (it writes the bodies of all its
//    connections in turn, and a proxy sees each come as slowly as that; across a slow link the
//    same thread idles, ~10% busy at 100 Mbit/s). krest-proxy times only its waits for a body's
//    bytes, not its own pauses between reads (busy elsewhere, on its disk). (Rarely, a load on
//    loopback still runs compressed until busy CPUs try without; see ENGINE.md.)
//    Bodies crawling under kCrawlingLink (1 MB/s per connection: 40 KB taking over 40 ms, far
//    slower than a busy loopback makes them) are compressed whatever the CPUs do: the link is
//    what everything waits for, and the CPUs are busy at the start of a load opening its
//    connections (waiting for them to be idle left the first third of a 1.5-s load at 100 Mbit/s
//    uncompressed). Crawling is also judged on the last 3 bodies alone (two of them crawling):
//    the first bodies of a load cross before the link fills, and while the median of 16 waited
//    for enough slow ones, another 70 went out uncompressed. While they crawl, busy CPUs start no
//    try (below): only the 10 s check.
//    On a link a connect showed long (the quickest so far took kLongConnect, two round trips of
//    10 ms, or more), request bodies are compressed from the first, before any is timed: there
//    the first round trips' bodies, sent before any answer, were what a load lost at 100 Mbit/s
//    (auto at 0.86x of always-zstd at 20 ms), and where the link is fast, compressing them cost
//    nothing measurable (loads at 20 and 80 ms with no bandwidth cap ran as fast). Busy CPUs start
//    no try then (only the 10 s check): half a second without, on such a link, is judged mostly
//    by answers to bodies sent compressed before it, and at 80 ms and 100 Mbit/s the try cost a
//    load a third. A later, quicker connect (the first one waited for a busy CPU) ends it.
//  - They stay compressed while it pays, which only trying tells: every 10 s, and once as soon
//    as the CPUs are busy (idle under kBusyIdle, 15%, on average), they go uncompressed for half
//    a second. If that half second delivered at least 90% of what the compressed time before it
//    did (bytes as the application sees them, per second), compression stays off for a minute;
//    otherwise it goes back on, and busy CPUs start no other try until the 10 s check: they are
//    busy because compression lets more through. When the uncompressed time before it was
//    turned on ran at least a quarter second and delivered under 90% of what compressed does,
//    that is the answer a try would give, and busy CPUs start none.
//  - Only toward a server that lists a coding in its Accept-Encoding (RFC 7694): zstd if it
//    takes it, else gzip.
//  - Bodies that do not shrink by a fifth (already compressed, random) stop it for a minute.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "coding/content_coding.hpp"
#include "krest/client.hpp"

namespace krest::flow {

class CompressionPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kSlowLink = 32e6;  // bytes per second per connection
  static constexpr double kCrawlingLink = 1e6;
  static constexpr double kSpareIdle = 0.40;
  static constexpr double kBusyIdle = 0.15;
  static constexpr double kBusyThread = 0.5;
  static constexpr std::chrono::milliseconds kLongConnect{20};  // a round trip of 10 ms or more

  explicit CompressionPolicy(Compression setting);

  // The Accept-Encoding for a request now; empty: none. For a request with a body, `body_bytes`
  // (as the application gave it) and the coding it goes with (request_coding() first).
  std::string accept_encoding(Clock::time_point now, std::size_t body_bytes = 0,
                              coding::Coding body_coding = coding::Coding::identity);
  // The coding for a request body of `bytes` now.
  coding::Coding request_coding(std::size_t bytes, Clock::time_point now);

  // What one exchange showed.
  struct Answer {
    std::optional<coding::CodingSet> server_accepts;  // its Accept-Encoding, when it sent one
    coding::Coding request_coding = coding::Coding::identity;
    std::size_t request_plain = 0, request_wire = 0;
    std::optional<double> request_transfer_seconds;  // from Server-Timing
    coding::Coding response_coding = coding::Coding::identity;
    std::size_t response_plain = 0, response_wire = 0;
  };
  void observe(const Answer& answer, Clock::time_point now);
  // The share of this machine's CPU time spent idle lately (util::MachineLoad, every 30 ms).
  void machine_idle(double share);
  // The share of the last reading's time that the thread running the client's exchanges (the one
  // that would compress) spent on a CPU (util::thread_busy_share).
  void client_thread_busy(double share) { thread_busy_last_ = share; }
  // The quickest connect to the proxy so far (ConnectionPool::fastest_connect(): TCP and TLS
  // handshakes, two round trips); duration::max() before the first.
  void fastest_connect(Clock::duration connect) {
    long_link_ = connect != Clock::duration::max() && connect >= kLongConnect;
  }
  // The server answered 415 to a compressed body.
  void refused();

  // For metrics and tests.
  double request_rate() const { return requests_.rate; }  // bytes/s per connection, 0 unknown
  double idle() const { return idle_; }  // this machine's idle CPU share, averaged; -1 unknown
  bool refused_by_server() const { return refused_; }
  // Enough request bodies have crossed the link to judge it (and so whether to compress) by them.
  bool link_measured() const { return requests_.samples >= Requests::kSamples; }

 private:
  // Request bodies' state: what they crossed at, whether compressed now, and the tries.
  struct Requests {
    static constexpr std::size_t kSamples = 16;
    static constexpr std::size_t kRecent = 3;
    std::array<double, kSamples> seconds_per_byte{};  // the last timed bodies, a ring
    std::size_t samples = 0;                          // taken so far
    double rate = 0;                   // bytes per second per connection: the median's inverse; 0 before the first
    double recent_rate = 0;            // the same of the last kRecent timed bodies
    std::uint64_t plain_bytes = 0;     // delivered, as the application sees them
    // Incompressible, or trying without: off until then. min(), not the clock's epoch: a steady
    // clock may read below its epoch (libfaketime moves it back in the clock-skew test).
    Clock::time_point paused_until = Clock::time_point::min();
    bool compressing = false;
    bool trying_without = false;
    bool shown_to_pay = false;  // since it was turned on: a try without, or the time before, did worse
    bool blind = false;         // turned on before any body was timed, on a long link
    // Since when the current state has run, and plain_bytes then: its goodput.
    Clock::time_point since{};
    std::uint64_t bytes_since = 0;
    double goodput_on = 0;   // of the compressed time before a try without
    double goodput_off = 0;  // of the uncompressed time before it was turned on, if it ran a quarter second; 0 unknown

    // Bodies crawl: the last 16, or the last 3 (at the start of a load the first bodies cross
    // before the link fills, and 16 of them would take longer to come than the load has to lose).
    bool crawling() const { return rate > 0 && std::min(rate, recent_rate) < kCrawlingLink; }
    bool wants(Clock::time_point now, bool cpu_to_spare, bool cpu_busy, bool long_link);
    void timed(std::size_t wire, double seconds);
    // Bytes per second per connection: the inverse of the median of the last `k` timed bodies
    // (of all so far, when fewer). At least one must have been timed.
    double median_rate(std::size_t k) const;
    void pause(Clock::time_point now);
    void start(bool compress, Clock::time_point now);
    double goodput(Clock::time_point now) const;
  };
  // How much compressed bodies of one direction shrink: plain / wire, averaged.
  struct Shrinkage {
    double ratio = 0;  // 0: none seen since the last verdict
    // Takes one compressed body; false when bodies shrink too little to be worth compressing.
    bool worth(std::size_t plain, std::size_t wire);
  };

  // Whether request bodies may go compressed: the server lists a coding, and has not refused one.
  bool takes_compressed_bodies() const { return !refused_ && server_accepts_ && !server_accepts_->empty(); }
  bool spare_cpu() const { return idle_last_ >= kSpareIdle && thread_busy_last_ < kBusyThread; }
  bool busy_cpu() const { return idle_ >= 0 && idle_ < kBusyIdle; }

  Compression setting_;
  std::optional<coding::CodingSet> server_accepts_;
  bool refused_ = false;
  Requests requests_;
  Shrinkage request_shrinkage_, answer_shrinkage_;
  // Answers did not shrink: not asked for compressed until then.
  Clock::time_point answers_paused_until_ = Clock::time_point::min();
  double idle_ = -1;       // this machine's idle CPU share, averaged
  double idle_last_ = -1;  // ...in the last reading
  double thread_busy_last_ = 0;  // the client's thread's busy share in the last reading; 0 unknown
  bool long_link_ = false;  // a connect took kLongConnect or more
};

}  // namespace krest::flow
