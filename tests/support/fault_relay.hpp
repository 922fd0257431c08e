#pragma once
// A TCP relay on 127.0.0.1 between a client under test and a server, on its own thread, that
// injects faults on command: cut connections after some bytes of requests, truncate responses
// (a clean close in the middle of one), stall (forward nothing, like a server that stopped
// answering), delay everything (a long link), trickle responses (a server that answers a few bytes
// at a time, so that no single read waits long), and, for plain-HTTP servers, answer requests
// with 503 itself.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace krest::test {

class FaultRelay {
 public:
  explicit FaultRelay(unsigned short upstream_port);
  ~FaultRelay();
  FaultRelay(const FaultRelay&) = delete;
  FaultRelay& operator=(const FaultRelay&) = delete;

  unsigned short port() const;
  // The next `connections` connections are reset once `bytes` bytes of requests went through.
  void cut_after(std::uint64_t bytes, int connections);
  // The next `connections` connections are closed cleanly (FIN, as by a server that exits) once
  // `bytes` bytes of responses went through: the request arrived, its answer is cut short.
  void truncate_responses(std::uint64_t bytes, int connections);
  // Everything is forwarded `each_way` after it arrived, in order, in both directions (0: none).
  void delay(std::chrono::milliseconds each_way);
  // Responses are forwarded `bytes` at a time, one piece per `every` (bytes 0: at full speed).
  void trickle_responses(std::size_t bytes, std::chrono::milliseconds every);
  // While stalled, nothing is forwarded in either direction.
  void stall(bool on);
  // Plain HTTP only: the next `requests` requests get "503 Service Unavailable" from the relay.
  void reply_503(int requests);
  // Resets every open connection now.
  void reset_all();
  std::uint64_t connections() const;  // accepted so far
  std::uint64_t injected() const;     // faults applied so far (cuts, truncations, resets, 503s)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace krest::test
