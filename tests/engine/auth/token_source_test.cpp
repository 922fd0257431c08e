// The engine's TokenSource against the development authority of a real krest-proxy.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <optional>

#include "http/authorized_exchange.hpp"
#include "http/http_connection.hpp"
#include "krest/token_source.hpp"
#include "net/client_tls.hpp"
#include "support/proxy_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_authority.hpp"

using namespace krest;
using namespace krest::test;
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

AuthOptions options_for(const ProxyProcess& proxy, std::string secret = kClientSecret) {
  AuthOptions o;
  o.mode = AuthOptions::Mode::client_credentials;
  o.tenant = kTenant;
  o.client_id = kClientId;
  o.client_secret = std::move(secret);
  o.authority = "https://localhost:" + std::to_string(proxy.port()) + "/{tenant}";
  o.tls.ca_file = proxy.ca_file();
  o.retry_initial = milliseconds(50);
  return o;
}

// Runs the io_context until `work` finishes (the token source's refresh loop never runs out of work).
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
  auto done = asio::co_spawn(ioc, std::move(work), asio::use_future);
  ioc.restart();
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one_for(milliseconds(50));
  return done.get();
}

asio::awaitable<unsigned> get_topics(http::HttpConnection& conn, TokenSource& tokens) {
  http::Request req{boost::beast::http::verb::get, "/v1/metadata/topics", 11};
  auto x = co_await http::authorized_exchange(conn, tokens, req);
  co_return x.ec ? 0 : x.response.result_int();
}

}  // namespace

TEST_CASE("tokens living 2 seconds are refreshed in the background while requests flow for 20 seconds, none failing",
          "[integration][engine][auth]") {
  TempDir dir;
  write_authority_file(dir / "authority.json", 2);
  // No clock skew allowance: an expired token really is refused, so every refresh has to be in time.
  ProxyProcess proxy(dir / "data", {"--authority-file", (dir / "authority.json").string(), "--auth-allowed-groups",
                                    kAllowedGroup, "--auth-clock-skew-s", "0"});
  asio::io_context ioc;
  auto tls = net::make_client_tls(TlsOptions{proxy.ca_file(), false});
  http::HttpConnection conn(ioc.get_executor(), net::parse_base_url(proxy.url()), tls);
  TokenSource tokens(ioc.get_executor(), options_for(proxy));

  struct Tally {
    int ok = 0, failed = 0;
    std::map<unsigned, int> statuses;
  };
  auto tally = run(ioc, [&]() -> asio::awaitable<Tally> {
    Tally t;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    asio::steady_timer pause(ioc);
    while (std::chrono::steady_clock::now() < end) {
      const unsigned status = co_await get_topics(conn, tokens);
      ++t.statuses[status];
      (status == 200 ? t.ok : t.failed)++;
      pause.expires_after(milliseconds(5));
      co_await pause.async_wait(asio::use_awaitable);
    }
    tokens.stop();
    co_return t;
  }());
  std::string statuses;
  for (auto [status, n] : tally.statuses) statuses += std::to_string(status) + ": " + std::to_string(n) + "; ";
  INFO("statuses " << statuses << "last token error: " << tokens.last_error());
  CHECK(tally.failed == 0);
  CHECK(tally.ok > 100);
  CHECK(tokens.stats().acquired >= 9);  // the first token and at least 8 refreshes
  CHECK(tokens.stats().forced == 0);    // every refresh happened before the proxy had to refuse a token
}

TEST_CASE("many callers reporting the same refused token cause one refresh", "[integration][engine][auth]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  asio::io_context ioc;
  TokenSource tokens(ioc.get_executor(), options_for(proxy));
  auto result = run(ioc, [&]() -> asio::awaitable<std::vector<std::string>> {
    const std::string first = co_await tokens.authorization();
    std::vector<std::future<std::string>> waits;
    for (int i = 0; i < 5; ++i) waits.push_back(asio::co_spawn(ioc, tokens.reauthorize(first), asio::use_future));
    asio::steady_timer t(ioc);
    std::vector<std::string> out{first};
    for (auto& w : waits) {
      while (w.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        t.expires_after(milliseconds(5));
        co_await t.async_wait(asio::use_awaitable);
      }
      out.push_back(w.get());
    }
    tokens.stop();
    co_return out;
  }());
  for (std::size_t i = 1; i < result.size(); ++i) {
    CHECK(result[i] != result[0]);
    CHECK(result[i] == result[1]);
  }
  CHECK(tokens.stats().acquired == 2);
  CHECK(tokens.stats().forced == 1);
}

TEST_CASE("a wrong client secret fails at once as permanent, and the secret appears nowhere",
          "[integration][engine][auth]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  asio::io_context ioc;
  auto o = options_for(proxy, "not-the-secret-at-all");
  o.wait = std::chrono::seconds(20);
  TokenSource tokens(ioc.get_executor(), o);
  std::string message;
  bool permanent = false;
  run(ioc, [&]() -> asio::awaitable<void> {
    try {
      co_await tokens.authorization();
    } catch (const TokenError& e) {
      message = e.what();
      permanent = e.permanent();
    }
    tokens.stop();
  }());
  CHECK(permanent);
  CHECK_THAT(message, Catch::Contains("invalid_client"));
  CHECK(message.find("not-the-secret-at-all") == std::string::npos);
  CHECK(proxy.log().find("not-the-secret-at-all") == std::string::npos);
}

TEST_CASE("an authority nothing answers at fails the first token within seconds, naming where it was asked",
          "[integration][engine][auth]") {
  asio::io_context ioc;
  AuthOptions o;
  o.mode = AuthOptions::Mode::client_credentials;
  o.tenant = "t";
  o.client_id = "c";
  o.client_secret = "s";
  o.authority = "https://127.0.0.1:1/{tenant}";
  o.retry_initial = milliseconds(20);
  o.wait = std::chrono::seconds(30);
  TokenSource tokens(ioc.get_executor(), o);
  std::string message;
  bool permanent = false;
  const auto started = std::chrono::steady_clock::now();
  run(ioc, [&]() -> asio::awaitable<void> {
    try {
      co_await tokens.authorization();
    } catch (const TokenError& e) {
      message = e.what();
      permanent = e.permanent();
    }
    tokens.stop();
  }());
  CHECK(permanent);  // not 30 s of waiting for something that is not there: 3 s, as for a restart
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  CHECK(tokens.stats().failures >= 2);  // it did try again meanwhile
  CHECK_THAT(message, Catch::Contains("https://127.0.0.1:1/t/oauth2/v2.0/token") && Catch::Contains("refused") &&
                          Catch::Contains("is the authority URL right"));
  CHECK(tokens.token_url() == "https://127.0.0.1:1/t/oauth2/v2.0/token");
}

TEST_CASE("auth options are validated by name, and static and no-auth modes need no authority",
          "[unit][engine][auth]") {
  AuthOptions o;
  o.mode = AuthOptions::Mode::client_credentials;
  auto problems = validate(o);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  CHECK_THAT(all, Catch::Contains("client_id") && Catch::Contains("client_secret") && Catch::Contains("tenant"));
  asio::io_context ioc;
  AuthOptions fixed;
  fixed.mode = AuthOptions::Mode::static_token;
  fixed.static_token = "abc";
  TokenSource tokens(ioc.get_executor(), fixed);
  CHECK(run(ioc, tokens.authorization()) == "Bearer abc");
  CHECK_THROWS_AS(run(ioc, tokens.reauthorize("Bearer abc")), TokenError);
  CHECK_THROWS_AS(TokenSource(ioc.get_executor(), o), std::invalid_argument);
}

TEST_CASE("a token the proxy refuses is refreshed once and the request sent again", "[integration][engine][auth]") {
  TempDir dir;
  std::optional<ProxyProcess> proxy(std::in_place, dir / "first");
  const unsigned short port = proxy->port();
  asio::io_context ioc;
  auto tls = net::make_client_tls(TlsOptions{proxy->ca_file(), false});
  http::HttpConnection conn(ioc.get_executor(), net::parse_base_url(proxy->url()), tls);
  TokenSource tokens(ioc.get_executor(), options_for(*proxy));
  CHECK(run(ioc, get_topics(conn, tokens)) == 200);

  // The same address, but new signing keys and a new certificate: the token in hand is now unknown.
  proxy.reset();
  proxy.emplace(dir / "second", std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port), "--tls-cert",
                                                         (dir / "first/tls/cert.pem").string(), "--tls-key",
                                                         (dir / "first/tls/key.pem").string()});
  unsigned status = run(ioc, get_topics(conn, tokens));          // the old connection is gone: a transport error...
  if (status == 0) status = run(ioc, get_topics(conn, tokens));  // ...and the next request reconnects
  CHECK(status == 200);
  CHECK(tokens.stats().forced == 1);
  CHECK(tokens.stats().acquired == 2);
  tokens.stop();
  ioc.restart();
  ioc.poll();
}
