#pragma once
// A network emulator between clients and one server, all on this machine: a TCP relay that
// listens on 127.0.0.1 and carries every connection across two emulated links (client to server,
// "up", and server to client, "down"), each with its own delay, jitter, bandwidth and bottleneck
// queue (link_model.hpp). Bandwidth is the link's, shared by all connections, as on a real one.
// Connections are spread over several threads; with neither delay nor a bandwidth limit, bytes
// go straight through (the relay's own ceiling, `krest-netem measure`, is far above what it is
// used to measure). Used in-process by tests and as the krest-netem program by the benchmarks.
#include <cstdint>
#include <memory>
#include <string>

#include "link_model.hpp"

namespace krest::netem {

struct RelaySettings {
  std::string upstream_host = "127.0.0.1";
  unsigned short upstream_port = 0;
  std::string listen_host = "127.0.0.1";
  unsigned short listen_port = 0;  // 0: any free port
  LinkSettings up;                 // client -> server
  LinkSettings down;               // server -> client
  // What one connection may have on its way in one direction, as a TCP window bounds it (a
  // sender gets back-pressure beyond it).
  std::size_t window_bytes = 4 << 20;
  // TCP's slow start on each connection, each way (congestion_window.hpp): a fresh connection,
  // or one idle past an RTO, starts from 10 segments and doubles them each round trip. Off, a
  // connection may put window_bytes on the link at once.
  bool slow_start = false;
  // TCP's handshake: a client's connect here returns at once (the kernel answers on loopback), so
  // a new connection's first bytes wait a round trip before they cross, as they wait for the
  // SYN-ACK on a real link; a connect and a TLS 1.3 handshake then take two round trips. Off, one.
  bool tcp_handshake = false;
  unsigned threads = 2;
};

struct RelayStats {
  std::uint64_t connections = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
};

class Relay {
 public:
  // Listens at once; relays on its own threads until destroyed. Throws when it cannot listen.
  explicit Relay(RelaySettings settings);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  unsigned short port() const;
  RelayStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace krest::netem
