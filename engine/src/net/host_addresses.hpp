#pragma once
// The addresses a host name resolves to, looked up once for all the connections to one endpoint
// and kept for a while, as curl keeps them (its DNS cache, 60 s by default).
//
// Why: Asio runs every name lookup of an io_context on one background thread, so lookups wait for
// each other, and without a caching resolver on the machine (Debian has none by default) each
// asks the DNS server again: a startup opening 16 connections at once queued 16 lookups, and
// every doubling after as many again. Measured with a DNS server answering after 20 ms, a krest
// load across 20 ms of round trip ran 1.34x with one lookup (1.30x at 2 ms; 1.07x with the DNS
// server 2 ms away; names from /etc/hosts within noise). A connection asking while a lookup is
// under way waits for that one.
//
// The kept addresses are forgotten when a connection could reach none of them (the proxy moved,
// DNS-based failover): the next connect asks again.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace krest::net {

class HostAddresses {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kKeptFor{60};

  HostAddresses(boost::asio::any_io_executor ex, std::string host, std::string port,
                Clock::duration kept_for = kKeptFor);
  ~HostAddresses();  // a lookup under way is abandoned
  HostAddresses(const HostAddresses&) = delete;
  HostAddresses& operator=(const HostAddresses&) = delete;

  struct Found {
    boost::system::error_code ec;  // the lookup's failure, or timed_out past the deadline
    std::vector<boost::asio::ip::tcp::endpoint> addresses;
  };
  // The host's addresses: those kept while fresh, else those of a lookup (one at a time, shared by
  // every caller that asks meanwhile), or a timeout at `deadline`.
  boost::asio::awaitable<Found> lookup(Clock::time_point deadline);
  // A connection reached none of the kept addresses: the next lookup asks again.
  void forget();
  std::uint64_t lookups() const;  // started so far

  struct State;

 private:
  std::shared_ptr<State> state_;  // shared with a lookup under way, which may outlive this
};

}  // namespace krest::net
