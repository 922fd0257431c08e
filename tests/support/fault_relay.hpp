#pragma once
// A TCP relay on 127.0.0.1 between a client under test and a server, on its own thread, that
// injects faults on command: cut connections after some bytes, stall (forward nothing, like a
// server that stopped answering), and, for plain-HTTP servers, answer requests with 503 itself.
#include <atomic>
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
  // While stalled, nothing is forwarded in either direction.
  void stall(bool on);
  // Plain HTTP only: the next `requests` requests get "503 Service Unavailable" from the relay.
  void reply_503(int requests);
  // Resets every open connection now.
  void reset_all();
  std::uint64_t connections() const;  // accepted so far
  std::uint64_t injected() const;     // faults applied so far (cuts, resets, 503s)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace krest::test
