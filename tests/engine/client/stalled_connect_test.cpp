// How the pool opens connections for requests. It tells requests whose connection is slow to open
// (handshakes waiting behind other work) from those on open connections, so that the in-flight
// limit does not grow for rounds those requests held back: the slow server here is a listener that
// accepts and never answers, so a TLS handshake to it stalls until the connect timeout. And it
// hands requests the connections it is opening ahead of need rather than opening more.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "http/body_pool.hpp"
#include "net/client_tls.hpp"
#include "pool/connection_pool.hpp"
#include "support/proxy_process.hpp"
#include "support/temp_dir.hpp"

using namespace krest;
using namespace krest::test;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST_CASE("requests whose connections are slow to open are told from those on open ones",
          "[integration][engine]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data", {"--auth", "none"});
  asio::io_context ioc;
  // Accepts and holds every connection without a byte in reply.
  tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<std::shared_ptr<tcp::socket>> held;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (;;) held.push_back(std::make_shared<tcp::socket>(co_await silent.async_accept(asio::use_awaitable)));
      },
      asio::detached);

  auto tls = net::make_client_tls(TlsOptions{proxy.ca_file(), false});
  http::BodyPool bodies;
  PoolOptions options;
  options.connect_timeout = 1500ms;
  const std::vector<net::BaseUrl> servers{
      net::parse_base_url(proxy.url()),
      net::parse_base_url("https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()))};
  pool::ConnectionPool pool(ioc.get_executor(), servers, tls, options, bodies);
  CHECK(pool.requests_stalled_connecting(Clock::now() + 1h) == 0);  // nothing to compare with yet

  // One request to the proxy: its connect is the quickest so far. It keeps its connection, so the
  // next request takes a slot of its own, which goes to the silent server.
  std::optional<pool::ConnectionPool::Lease> first;
  Clock::time_point before_second{};
  unsigned status = 0;
  bool second_ended = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        first.emplace(co_await pool.acquire());
        http::Request req{boost::beast::http::verb::get, "/health", 11};
        auto x = co_await first->connection().exchange(req);
        status = x.ec ? 0 : x.response.result_int();
        CHECK(first->connection().fastest_connect() < 1500ms);
        before_second = Clock::now();
        auto second = co_await pool.acquire();
        CHECK(second.connection().server().port != first->connection().server().port);
        http::Request hangs{boost::beast::http::verb::get, "/health", 11};
        auto y = co_await second.connection().exchange(hangs);
        CHECK(y.ec);  // the silent server's handshake timed out
        second_ended = true;
      },
      asio::detached);
  // Until the second request's connect reached the silent server (its handshake then waits).
  for (int i = 0; i < 200 && held.empty(); ++i) ioc.run_for(25ms);
  REQUIRE(status == 200);
  REQUIRE_FALSE(held.empty());
  REQUIRE_FALSE(second_ended);

  // Stalled, once it has taken over twice the quickest connect; not before it began.
  CHECK(pool.requests_stalled_connecting(before_second) == 0);
  CHECK(pool.requests_stalled_connecting(Clock::now() + 1h) == 1);
  // A connection opened ahead of need carries no request: it is not counted.
  pool.warm(4);
  CHECK(pool.requests_stalled_connecting(Clock::now() + 1h) == 1);

  for (int i = 0; i < 200 && !second_ended; ++i) ioc.run_for(50ms);  // the handshake times out
  REQUIRE(second_ended);
  CHECK(pool.requests_stalled_connecting(Clock::now() + 1h) == 0);
  first.reset();
  pool.close();
  ioc.run_for(100ms);
}

TEST_CASE("requests take the connections a warm-up is opening instead of opening more of their own",
          "[integration][engine]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data", {"--auth", "none"});
  asio::io_context ioc;
  auto tls = net::make_client_tls(TlsOptions{proxy.ca_file(), false});
  http::BodyPool bodies;
  const std::vector<net::BaseUrl> servers{net::parse_base_url(proxy.url())};
  pool::ConnectionPool pool(ioc.get_executor(), servers, tls, PoolOptions{}, bodies);

  // Four connections open ahead of need (an adapted limit about to grow), and four requests come
  // before any is open: each takes one of those, none opens a fifth.
  pool.warm(4);
  int answered = 0;
  for (int i = 0; i < 4; ++i)
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto lease = co_await pool.acquire();
          http::Request req{boost::beast::http::verb::get, "/health", 11};
          auto x = co_await lease.connection().exchange(req);
          if (!x.ec && x.response.result_int() == 200) ++answered;
        },
        asio::detached);
  for (int i = 0; i < 200 && answered < 4; ++i) ioc.run_for(25ms);
  REQUIRE(answered == 4);
  CHECK(pool.connects() == 4);
  CHECK(pool.open_connections() == 4);
  pool.close();
  ioc.run_for(100ms);
}
