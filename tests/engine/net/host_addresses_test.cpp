// HostAddresses against the machine's own resolver, with names it answers from /etc/hosts and
// /etc/services (no DNS server is asked).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http/http_connection.hpp"
#include "net/base_url.hpp"
#include "net/host_addresses.hpp"

namespace asio = boost::asio;
using krest::net::HostAddresses;
using Clock = HostAddresses::Clock;
using namespace std::chrono_literals;

namespace {

// `n` lookups started together; their answers once all have one.
std::vector<HostAddresses::Found> look_up_together(asio::io_context& ioc, HostAddresses& addresses, int n,
                                                   Clock::duration within = 10s) {
  std::vector<HostAddresses::Found> found(static_cast<std::size_t>(n));
  for (auto& f : found) {
    auto one = [](HostAddresses& a, HostAddresses::Found& out, Clock::time_point deadline) -> asio::awaitable<void> {
      out = co_await a.lookup(deadline);
    };
    asio::co_spawn(ioc, one(addresses, f, Clock::now() + within), asio::detached);
  }
  ioc.restart();
  ioc.run_for(10s);
  return found;
}

bool has_loopback(const HostAddresses::Found& f) {
  for (const auto& a : f.addresses)
    if (a.address().is_loopback() && a.port() == 8443) return true;
  return false;
}

}  // namespace

TEST_CASE("host addresses: one lookup serves every connection that asks meanwhile and for the time kept",
          "[unit][engine]") {
  asio::io_context ioc;
  HostAddresses localhost(ioc.get_executor(), "localhost", "8443");
  for (const auto& f : look_up_together(ioc, localhost, 16)) {
    CHECK_FALSE(f.ec);
    CHECK(has_loopback(f));
  }
  CHECK(localhost.lookups() == 1);  // not 16: the others waited for the first
  CHECK(has_loopback(look_up_together(ioc, localhost, 3)[0]));
  CHECK(localhost.lookups() == 1);  // kept

  // A connection that reached none of them makes the next connect ask again.
  localhost.forget();
  CHECK(has_loopback(look_up_together(ioc, localhost, 4)[0]));
  CHECK(localhost.lookups() == 2);

  // Kept for no time: each connect asks, and those asking together still share one lookup.
  HostAddresses unkept(ioc.get_executor(), "127.0.0.1", "8443", 0s);
  for (int round = 1; round <= 3; ++round) {
    const auto found = look_up_together(ioc, unkept, 5);
    for (const auto& f : found) CHECK(has_loopback(f));
    CHECK(unkept.lookups() == static_cast<std::uint64_t>(round));
  }
}

TEST_CASE("host addresses: a failed lookup is each waiter's answer, and a deadline passed is a timeout",
          "[unit][engine]") {
  asio::io_context ioc;
  // A service name /etc/services does not have fails the lookup without asking any DNS server.
  HostAddresses no_service(ioc.get_executor(), "localhost", "no-such-service-krest");
  for (const auto& f : look_up_together(ioc, no_service, 5)) {
    CHECK(f.ec);
    CHECK(f.addresses.empty());
  }
  CHECK(no_service.lookups() == 1);
  // Nothing kept from a failure: the next connect asks again.
  CHECK(look_up_together(ioc, no_service, 1)[0].ec);
  CHECK(no_service.lookups() == 2);

  HostAddresses late(ioc.get_executor(), "localhost", "8443");
  const auto found = look_up_together(ioc, late, 1, -1s);
  CHECK(found[0].ec == asio::error::timed_out);
  CHECK(late.lookups() == 0);
}

TEST_CASE("host addresses: a connect that reaches none of them makes the next connect look the name up again",
          "[unit][engine]") {
  asio::io_context ioc;
  std::string port;  // one nothing listens on: taken, then let go
  {
    asio::ip::tcp::acceptor taken(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = std::to_string(taken.local_endpoint().port());
  }
  asio::ssl::context tls(asio::ssl::context::tls_client);
  HostAddresses shared(ioc.get_executor(), "localhost", port);
  krest::http::HttpConnection conn(ioc.get_executor(), krest::net::parse_base_url("http://localhost:" + port), tls, {},
                                   nullptr, nullptr, &shared);
  for (std::uint64_t attempt = 1; attempt <= 2; ++attempt) {
    krest::http::Request req{boost::beast::http::verb::get, "/", 11};
    boost::system::error_code ec;
    auto exchange = [](krest::http::HttpConnection& c, krest::http::Request& r,
                       boost::system::error_code& out) -> asio::awaitable<void> { out = (co_await c.exchange(r)).ec; };
    asio::co_spawn(ioc, exchange(conn, req, ec), asio::detached);
    ioc.restart();
    ioc.run_for(10s);
    CHECK(ec == asio::error::connection_refused);
    CHECK(shared.lookups() == attempt);  // the refusal dropped what the lookup found
  }
}
