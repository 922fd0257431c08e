// krest-proxy under attack, over real TLS: what an adversarial review found, each a test that
// failed before its fix. No token is needed for any of these attacks, which is the point.
#include <sys/stat.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http/field.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "authority/secret_hash.hpp"
#include "support/proxy_fixture.hpp"
#include "support/test_authority.hpp"

using namespace krest::test;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string token_form(const std::string& client_id, const std::string& secret) {
  return "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" + secret +
         "&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default";
}

Reply ask_token(HttpsClient& c, const std::string& client_id, const std::string& secret) {
  return c.request(http::verb::post, std::string("/") + kTenant + "/oauth2/v2.0/token", token_form(client_id, secret),
                   "application/x-www-form-urlencoded");
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

double milliseconds_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

TEST_CASE("wrong client secrets are throttled per client and per address, a client that knows its secret is not",
          "[integration][security]") {
  ProxyFixture f({"--authority-refusal-delay-ms", "0"});  // the count, not the tarpit, is tested here
  auto good = f.connect();
  // The application gets a token once: from now on its secret is known to the proxy.
  REQUIRE(ask_token(good, kClientId, kClientSecret).result_int() == 200);
  auto bad = f.connect();
  int refused = 0, throttled = 0;
  std::string retry_after;
  for (int i = 0; i < 25; ++i) {
    auto r = ask_token(bad, kClientId, "guess-" + std::to_string(i));
    if (r.result_int() == 401) ++refused;
    if (r.result_int() == 429) {
      ++throttled;
      retry_after = std::string(r[http::field::retry_after]);
    }
  }
  CHECK(refused <= 10);    // a burst of failures is answered...
  CHECK(throttled >= 15);  // ...then 429 until the bucket refills
  CHECK(std::stoi(retry_after) >= 1);
  // The application itself still gets its tokens: knowing the secret is the proof.
  CHECK(ask_token(good, kClientId, kClientSecret).result_int() == 200);
  // Guessing another id from the same address is throttled too (per source).
  CHECK(ask_token(bad, "someone-else", "guess").result_int() == 429);
  const auto log = f.proxy.log();
  CHECK(log.find("guess-") == std::string::npos);  // secrets never reach the log
}

TEST_CASE("a refused secret is answered after the tarpit delay and a known one at once", "[integration][security]") {
  ProxyFixture f;  // the default delay: one second
  auto good = f.connect();
  REQUIRE(ask_token(good, kClientId, kClientSecret).result_int() == 200);
  auto bad = f.connect();
  auto t = Clock::now();
  for (int i = 0; i < 3; ++i) {
    const int status = ask_token(bad, i % 2 ? "nobody" : kClientId, "guess-" + std::to_string(i)).result_int();
    CHECK((status == 401 || status == 429));
  }
  CHECK(milliseconds_since(t) >= 3000);  // one answer per second on the guessing connection
  // The application and the API wait for no tarpit.
  t = Clock::now();
  CHECK(ask_token(good, kClientId, kClientSecret).result_int() == 200);
  CHECK(f.connect().get("/v1/metadata/topics").result_int() == 200);
  CHECK(milliseconds_since(t) < 1000);
}

TEST_CASE("secrets are checked off the I/O threads: guessing does not stall other requests",
          "[integration][security]") {
  // An application whose secret costs what a user's does (N = 2^15: tens of ms), and one I/O
  // thread: were scrypt on it, every request would wait for the checks queued before it.
  TempDir dir;
  const auto authority = dir / "authority.json";
  std::ofstream(authority) << R"({"tenant":")" << kTenant
                           << R"(","applications":[{"client_id":"costly","secret_hash":")"
                           << krest::proxy::hash_secret("costly-secret-0123456789", 15) << R"(","groups":[")"
                           << kAllowedGroup << R"("]}]})";
  ProxyProcess proxy(dir / "data", {"--threads", "1", "--authority-file", authority.string(), "--auth", "none",
                                    "--authority-refusal-delay-ms", "0"});  // guessers as fast as they can
  auto calibrate = proxy.client();
  auto t = Clock::now();
  REQUIRE(ask_token(calibrate, "costly", "wrong").result_int() == 401);
  const double check_ms = milliseconds_since(t);  // one scrypt, on an idle proxy
  std::atomic<bool> stop{false};
  std::vector<std::thread> guessers;
  for (int g = 0; g < 8; ++g)
    guessers.emplace_back([&, g] {
      auto c = proxy.client();
      for (int i = 0; !stop; ++i) (void)ask_token(c, g % 2 ? "costly" : "nobody", "guess-" + std::to_string(i));
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto probe = proxy.client();
  double worst = 0;
  for (int i = 0; i < 20; ++i) {
    t = Clock::now();
    REQUIRE(probe.get("/v1/metadata/topics").result_int() == 200);
    worst = std::max(worst, milliseconds_since(t));
  }
  stop = true;
  for (auto& g : guessers) g.join();
  CAPTURE(check_ms, worst);
  CHECK(worst < check_ms / 2);  // no probe waited for a check
}

TEST_CASE("an unknown client id costs the same scrypt as a wrong secret for a known one", "[integration][security]") {
  ProxyFixture f({"--authority-refusal-delay-ms", "0"});  // the scrypt's cost, not the tarpit's
  auto c = f.connect();
  auto median_ms = [&](const std::string& id) {
    std::vector<double> times;
    for (int i = 0; i < 5; ++i) {
      const auto t = Clock::now();
      REQUIRE(ask_token(c, id, "wrong-" + std::to_string(i)).result_int() == 401);
      times.push_back(milliseconds_since(t));
    }
    std::sort(times.begin(), times.end());
    return times[2];
  };
  const double known = median_ms(kClientId), unknown = median_ms("nobody");
  CAPTURE(known, unknown);
  CHECK(unknown > known / 3);  // before: 0.16 ms against 45 ms
}

TEST_CASE("bodies are limited per route from their header: a token request is small, a GET has none",
          "[integration][security]") {
  ProxyFixture f;
  auto c = f.connect();
  // A 64 MiB token request, announced and not sent: refused at once, the connection closed.
  c.send_raw(std::string("POST /") + kTenant +
             "/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: 67108864\r\n\r\n");
  auto r = c.read_reply();
  CHECK(r.result_int() == 413);
  CHECK_THAT(r.body(), Catch::Contains("larger than 16384 bytes for a token request"));
  CHECK(c.closed_by_server());
  // A GET with a body.
  auto g = f.connect();
  g.send_raw("GET /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n");
  CHECK(g.read_reply().result_int() == 413);
  // A form of thousands of parameters.
  std::string form = token_form(kClientId, kClientSecret);
  for (int i = 0; i < 2000; ++i) form += "&p" + std::to_string(i) + "=x";
  auto fc = f.connect();
  auto many = fc.request(http::verb::post, std::string("/") + kTenant + "/oauth2/v2.0/token", form,
                         "application/x-www-form-urlencoded");
  CHECK(many.result_int() == 400);
  CHECK_THAT(many.body(), Catch::Contains("parameters, more than"));
}

TEST_CASE("Transfer-Encoding that is not exactly chunked is refused and the connection closed, never smuggled",
          "[integration][security]") {
  ProxyFixture f;
  REQUIRE(f.client->put("/v1/topics/victim", R"({"partition_count":1})").result_int() == 200);
  for (const std::string te : {"chunked, identity", "xchunked", "gzip", "identity", "chunked, chunked"}) {
    CAPTURE(te);
    auto c = f.connect();
    const std::string smuggled =
        "DELETE /v1/topics/victim HTTP/1.1\r\nHost: localhost\r\n" + c.authorization_line() + "\r\n";
    c.send_raw("POST /v1/producer/topics/victim HTTP/1.1\r\nHost: localhost\r\n" + c.authorization_line() +
               "Transfer-Encoding: " + te + "\r\nContent-Type: application/json\r\n\r\n" + smuggled);
    auto r = c.read_reply();
    CHECK(r.result_int() == 400);
    CHECK(c.closed_by_server());
  }
  auto both = f.connect();
  both.send_raw("POST /v1/producer/topics/victim HTTP/1.1\r\nHost: localhost\r\n" + both.authorization_line() +
                "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n");
  CHECK(both.read_reply().result_int() == 400);
  CHECK(f.connect().get("/v1/metadata/topics/victim/partitions").result_int() == 200);  // still there
}

TEST_CASE("a request without Host is 400 and an overlong request line 414", "[integration][security]") {
  ProxyFixture f;
  auto c = f.connect();
  c.send_raw("GET /health HTTP/1.1\r\n\r\n");
  CHECK(c.read_reply().result_int() == 400);
  auto l = f.connect();
  l.send_raw("GET /health?" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(l.read_reply().result_int() == 414);
}

TEST_CASE("topics named like staging directories keep their records across restarts", "[integration][security]") {
  TempDir dir;
  std::vector<std::string> names = {".keep", ".creating-v2",        ".deleted-v2-1",
                                    "v2",    std::string(249, 'l'), std::string(240, 'm')};
  {
    ProxyProcess proxy(dir / "data");
    auto c = proxy.client();
    for (const auto& name : names) {
      CAPTURE(name);
      REQUIRE(c.put("/v1/topics/" + name, R"({"partition_count":1})").result_int() == 200);
      REQUIRE(c.post("/v1/producer/topics/" + name, R"({"records":[{"value":"a"},{"value":"b"}]})").result_int() ==
              200);
    }
    // Deleting a 240-character name works too (its trash name is not the topic's name plus a suffix).
    CHECK(c.del("/v1/topics/" + std::string(240, 'm')).result_int() == 200);
    names.pop_back();
    proxy.kill9();
  }
  ProxyProcess proxy(dir / "data");
  auto c = proxy.client();
  for (const auto& name : names) {
    CAPTURE(name);
    auto r = c.get("/v1/consumer/topics/" + name + "/partitions/0/offsets/0?count=10");
    REQUIRE(r.result_int() == 200);
    CHECK(json_of(r).at("records").as_array().size() == 2);
  }
}

TEST_CASE("data and keys are private: directories 0700, files 0600, or the group's when asked",
          "[integration][security]") {
  TempDir dir;
  {
    ProxyProcess proxy(dir / "data");
    auto c = proxy.client();
    REQUIRE(c.put("/v1/topics/p", R"({"partition_count":1})").result_int() == 200);
    REQUIRE(c.post("/v1/producer/topics/p", R"({"records":[{"value":"secret"}]})").result_int() == 200);
    CHECK(mode_of(dir / "data") == 0700);
    CHECK(mode_of(dir / "data" / "topics" / "p") == 0700);
    CHECK(mode_of(dir / "data" / "tls" / "key.pem") == 0600);
    for (const auto& e : fs::recursive_directory_iterator(dir / "data" / "topics" / "p"))
      if (e.is_regular_file()) CHECK(mode_of(e.path()) == 0600);
  }
  ProxyProcess group(dir / "group", {"--data-group-readable"});
  auto c = group.client();
  REQUIRE(c.put("/v1/topics/g", R"({"partition_count":1})").result_int() == 200);
  CHECK(mode_of(dir / "group") == 0750);
  CHECK(mode_of(dir / "group" / "topics" / "g") == 0750);
  CHECK(mode_of(dir / "group" / "tls" / "key.pem") == 0600);  // a key stays the user's alone
}

TEST_CASE("one address cannot take every connection slot", "[integration][security]") {
  ProxyFixture f({"--max-connections-per-source", "4"});
  std::vector<HttpsClient> held;
  for (int i = 0; i < 3; ++i) held.push_back(f.connect());  // the fixture's own client is the fourth
  for (auto& h : held) REQUIRE(h.get("/health").result_int() == 200);
  // A fifth from the same address is closed before its handshake.
  CHECK_THROWS(f.connect().get("/health"));
  held.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.connect().get("/health").result_int() == 200);
}

TEST_CASE("a create that would run out of descriptors is refused whole and the name stays free",
          "[integration][security]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data", {}, 512);
  auto c = proxy.client();
  auto r = c.put("/v1/topics/wide", R"({"partition_count":1000})");
  CHECK(r.result_int() == 507);
  CHECK_THAT(r.body(), Catch::Contains("open files"));
  CHECK(c.get("/health").result_int() == 200);
  // Nothing half-made: a smaller one of the same name can be created and deleted.
  CHECK(c.put("/v1/topics/wide", R"({"partition_count":10})").result_int() == 200);
  CHECK(c.del("/v1/topics/wide").result_int() == 200);
}

TEST_CASE("an internal error names an incident, not a path", "[integration][security]") {
  ProxyFixture f;
  // Where creates are staged is made a file: the next create fails inside the filesystem.
  const auto staging = f.dir / "data" / "staging";
  fs::remove_all(staging);
  std::ofstream(staging) << "in the way";
  auto r = f.client->put("/v1/topics/broken", R"({"partition_count":1})");
  CHECK(r.result_int() == 500);
  CHECK_THAT(r.body(), Catch::Contains("incident "));
  CHECK(r.body().find(f.dir.path().string()) == std::string::npos);
  const auto incident = r.body().substr(r.body().find("incident ") + 9, 12);
  CHECK(f.proxy.log().find(incident) != std::string::npos);  // ...and the log has the details under it
}

TEST_CASE("a client id with a line end cannot forge a log line", "[integration][security]") {
  ProxyFixture f;
  auto c = f.connect();
  CHECK(ask_token(c, "x%0Aforged%20line", "wrong").result_int() == 401);
  const auto log = f.proxy.log();
  CHECK(log.find("\nforged line") == std::string::npos);
  CHECK(log.find("x\\x0aforged line") != std::string::npos);
}

TEST_CASE("tokens of an application removed from the authority file stop working", "[integration][security]") {
  TempDir dir;
  const auto authority = dir / "authority.json";
  write_authority_file(authority);
  // The same issuer across the restart (the port changes): only the registration differs.
  const std::vector<std::string> args = {"--authority-file", authority.string(),       "--auth-allowed-groups",
                                         kAllowedGroup,      "--authority-public-url", "https://authority.test"};
  std::string bearer;
  {
    ProxyProcess proxy(dir / "data", args);
    auto c = proxy.client();
    auto r = ask_token(c, kClientId, kClientSecret);
    REQUIRE(r.result_int() == 200);
    bearer = "Bearer " + std::string(json_of(r).at("access_token").as_string());
    c.set_authorization(bearer);
    REQUIRE(c.get("/v1/metadata/topics").result_int() == 200);
  }
  // The application is removed; the signing keys (in the data directory) are the same.
  std::ofstream(authority) << R"({"tenant":")" << kTenant << R"(","applications":[{"client_id":"other","secret_hash":")"
                           << kClientSecretHash << R"("}]})";
  ProxyProcess proxy(dir / "data", args);
  auto c = proxy.client();
  c.set_authorization(bearer);
  auto r = c.get("/v1/metadata/topics");
  CHECK(r.result_int() == 401);
  CHECK_THAT(r.body(), Catch::Contains("no longer registered"));
}

TEST_CASE("TLS 1.2 offers AEAD suites only", "[integration][security]") {
  ProxyFixture f;
  namespace asio = boost::asio;
  auto handshake = [&](const char* ciphers) {
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx.native_handle(), ciphers);
    ctx.set_verify_mode(asio::ssl::verify_none);
    asio::ssl::stream<asio::ip::tcp::socket> s(ioc, ctx);
    s.next_layer().connect({asio::ip::make_address("127.0.0.1"), f.proxy.port()});
    boost::system::error_code ec;
    s.handshake(asio::ssl::stream_base::client, ec);
    return !ec;
  };
  CHECK_FALSE(handshake("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:AES128-SHA"));  // CBC
  CHECK(handshake("ECDHE-ECDSA-AES128-GCM-SHA256"));
}
