#pragma once
// When the engine compresses what it sends and asks for compressed answers, apart from any I/O.
//
// `none` never does; `gzip` and `zstd` always do, with that coding (request bodies from 1 KiB; a
// 415 turns request bodies back to uncompressed for the rest of the client's life). `automatic`
// compresses a direction only where it pays: on a link slower than a compressor.
//  - The speed of the link one way is measured per body: the engine times each response body
//    from its header to its last byte, and krest-proxy reports how long each request body took to
//    arrive (Server-Timing "body;dur"). Bodies under 16 KiB say nothing (a receiver's NIC may
//    hand over that much at once). Averaged as time per byte, a direction whose bodies cross at
//    under kSlowLink bytes/s per connection (32 MB/s: a connection's share of a link under ~250
//    Mbit/s) is compressed; on a fast link, or on loopback, compression would cost more CPU than
//    it saves time, and it stays off. Nothing is compressed before the first body is timed.
//  - Request bodies only toward a server that lists a coding in its Accept-Encoding (RFC 7694):
//    zstd if it takes it, else gzip. Answers with Accept-Encoding "zstd, gzip".
//  - Bodies that do not shrink by a fifth (already compressed, random) stop compression of that
//    direction for a minute.
//  - Compressed bodies may be too small to time: every 30 s one goes uncompressed, to time the
//    link again.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "coding/content_coding.hpp"
#include "krest/client.hpp"

namespace krest::flow {

class CompressionPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kSlowLink = 32e6;  // bytes per second per connection

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
  // The server answered 415 to a compressed body.
  void refused();

  // For metrics and tests: the links' measured speed (bytes/s per connection, 0 unknown).
  double up_rate() const { return up_.rate; }
  double down_rate() const { return down_.rate; }
  bool refused_by_server() const { return refused_; }

 private:
  struct Direction {
    double seconds_per_byte = 0;       // EWMA over timed bodies
    double rate = 0;                   // its inverse: bytes per second, 0 before the first
    double ratio = 0;                  // EWMA of plain / wire over compressed bodies
    Clock::time_point timed_at{};      // last timed body
    Clock::time_point paused_until{};  // incompressible: off until then
    bool compressing = false;          // the last decision
    bool probe_due = false;            // next body goes uncompressed, to be timed
    bool wants(Clock::time_point now);
    void timed(std::size_t wire, double seconds, Clock::time_point now);
    void shrank(std::size_t plain, std::size_t wire, Clock::time_point now);
  };

  Compression setting_;
  std::optional<coding::CodingSet> server_accepts_;
  bool refused_ = false;
  Direction up_, down_;
};

}  // namespace krest::flow
