// TLS sessions resumed per server: connections sharing one session cache (as a pool's connections
// to one name do) across two krest-proxies each resume their own server's session, rather than
// offering one server's session to the other and trading full handshakes back and forth.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <fstream>

#include "http/http_connection.hpp"
#include "net/client_tls.hpp"
#include "support/proxy_process.hpp"
#include "support/temp_dir.hpp"

using namespace krest;
using namespace krest::test;
namespace asio = boost::asio;

namespace {

// One request on `conn` (opening it); the status, 0 when the exchange failed.
unsigned get_health(asio::io_context& ioc, http::HttpConnection& conn) {
  auto done = asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<unsigned> {
        http::Request req{boost::beast::http::verb::get, "/health", 11};
        auto x = co_await conn.exchange(req);
        co_return x.ec ? 0u : x.response.result_int();
      },
      asio::use_future);
  ioc.restart();
  ioc.run();
  return done.get();
}

}  // namespace

TEST_CASE("connections sharing a TLS session cache resume each server's own session",
          "[integration][engine][tls]") {
  TempDir dir;
  ProxyProcess a(dir / "a", {"--auth", "none"});
  ProxyProcess b(dir / "b", {"--auth", "none"});
  const auto both = (dir / "both.pem").string();
  {
    std::ofstream out(both);
    out << std::ifstream(a.ca_file()).rdbuf() << std::ifstream(b.ca_file()).rdbuf();
  }
  asio::io_context ioc;
  auto tls = net::make_client_tls(TlsOptions{both, false});
  http::TlsSessionCache sessions;
  const auto to_a = net::parse_base_url(a.url());
  const auto to_b = net::parse_base_url(b.url());

  http::HttpConnection a1(ioc.get_executor(), to_a, tls, {}, &sessions);
  REQUIRE(get_health(ioc, a1) == 200);
  CHECK(a1.resumed() == 0);  // nothing to resume yet
  http::HttpConnection b1(ioc.get_executor(), to_b, tls, {}, &sessions);
  REQUIRE(get_health(ioc, b1) == 200);
  CHECK(b1.resumed() == 0);  // a's session is not offered to b
  CHECK(sessions.size() == 2);

  // Each resumes its own server's session, whichever connected last.
  http::HttpConnection a2(ioc.get_executor(), to_a, tls, {}, &sessions);
  REQUIRE(get_health(ioc, a2) == 200);
  CHECK(a2.resumed() == 1);
  http::HttpConnection b2(ioc.get_executor(), to_b, tls, {}, &sessions);
  REQUIRE(get_health(ioc, b2) == 200);
  CHECK(b2.resumed() == 1);
  http::HttpConnection a3(ioc.get_executor(), to_a, tls, {}, &sessions);
  REQUIRE(get_health(ioc, a3) == 200);
  CHECK(a3.resumed() == 1);
  CHECK(sessions.size() == 2);
}
