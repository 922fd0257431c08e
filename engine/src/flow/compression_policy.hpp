#pragma once
// When the engine compresses what it sends and asks for compressed answers, apart from any I/O.
//
// `none` never does; `gzip` and `zstd` always do, with that coding (request bodies from 1 KiB; a
// 415 turns request bodies back to uncompressed for the rest of the client's life). `automatic`
// compresses a direction (request bodies, or answers) only where it pays, as it measures:
//  - It turns on where the link, not the CPU, is what everything waits for: bodies cross slowly
//    while this machine has CPU to spare. The engine times each response body from its header to
//    its last byte, and krest-proxy reports how long each request body took to arrive
//    (Server-Timing "body;dur"); bodies under 16 KiB say nothing (a receiver's network card may
//    hand over that much at once). When the median of the last 16 timed bodies crossed under
//    kSlowLink (32 MB/s) per connection — a connection's share of a link under ~250 Mbit/s — and
//    this machine's CPUs were idle at least kSpareIdle (40%) of the last tenth of a second, the
//    direction is compressed. On a fast link bodies cross fast; with the proxy on the same
//    machine they may cross slowly, but because it waits for a CPU, and none is spare.
//  - It stays on while it pays, which only trying tells: every 10 s, or as soon as the CPUs are
//    busy (idle under kBusyIdle, 15%, on average), the direction goes uncompressed for half a
//    second. If that half second delivered at least 90% of what the compressed time before it
//    did (bytes as the application sees them, per second), compression stays off for a minute;
//    otherwise it goes back on.
//  - Request bodies only toward a server that lists a coding in its Accept-Encoding (RFC 7694):
//    zstd if it takes it, else gzip. Answers are asked for with "zstd, gzip".
//  - Bodies that do not shrink by a fifth (already compressed, random) stop compression of that
//    direction for a minute.
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
  static constexpr double kSpareIdle = 0.40;
  static constexpr double kBusyIdle = 0.15;

  explicit CompressionPolicy(Compression setting);

  // The Accept-Encoding for a request now; empty: none.
  std::string accept_encoding(Clock::time_point now);
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
    double response_transfer_seconds = 0;
  };
  void observe(const Answer& answer, Clock::time_point now);
  // The share of this machine's CPU time spent idle lately (util::MachineLoad).
  void machine_idle(double share);
  // The server answered 415 to a compressed body.
  void refused();

  // For metrics and tests.
  double up_rate() const { return up_.rate; }  // bytes/s per connection, 0 unknown
  double down_rate() const { return down_.rate; }
  double idle() const { return idle_; }  // this machine's idle CPU share, averaged; -1 unknown
  bool refused_by_server() const { return refused_; }

 private:
  struct Direction {
    static constexpr std::size_t kSamples = 16;
    std::array<double, kSamples> seconds_per_byte{};  // the last timed bodies, a ring
    std::size_t samples = 0;                          // taken so far
    double rate = 0;                   // bytes per second per connection: the median's inverse; 0 before the first
    double ratio = 0;                  // EWMA of plain / wire over compressed bodies
    std::uint64_t plain_bytes = 0;     // delivered, as the application sees them
    Clock::time_point paused_until{};  // incompressible, or trying without: off until then
    bool compressing = false;
    bool trying_without = false;
    // Since when the current state has run, and plain_bytes then: its goodput.
    Clock::time_point since{};
    std::uint64_t bytes_since = 0;
    double goodput_on = 0;  // of the compressed time before a try without

    bool wants(Clock::time_point now, bool cpu_to_spare, bool cpu_busy);
    void timed(std::size_t wire, double seconds);
    void shrank(std::size_t plain, std::size_t wire, Clock::time_point now);
    void start(bool compress, Clock::time_point now);
    double goodput(Clock::time_point now) const;
  };

  bool spare_cpu() const { return idle_last_ >= kSpareIdle; }
  bool busy_cpu() const { return idle_ >= 0 && idle_ < kBusyIdle; }

  Compression setting_;
  std::optional<coding::CodingSet> server_accepts_;
  bool refused_ = false;
  Direction up_, down_;
  double idle_ = -1;       // this machine's idle CPU share, averaged
  double idle_last_ = -1;  // ...in the last reading
};

}  // namespace krest::flow
