// Connection handling: keep-alive, pipelining, limits, timeouts, plain HTTP, clean shutdown.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "support/proxy_fixture.hpp"

using namespace krest::test;
namespace http = boost::beast::http;

TEST_CASE("keep-alive: many requests share one connection", "[integration][server]") {
  ProxyFixture f;
  // Before: the fixture's token request had a connection of its own.
  const double before = metric(*f.client, "krest_proxy_connections_total");
  for (int i = 0; i < 50; ++i) REQUIRE(f.client->get("/v1/status").result_int() == 200);
  CHECK(metric(*f.client, "krest_proxy_connections_total") == before);
  CHECK(metric(*f.client, "krest_proxy_open_connections") == 1);
}

TEST_CASE("pipelining: requests sent back to back are answered in order", "[integration][server]") {
  ProxyFixture f;
  REQUIRE(f.client->put("/v1/topics/p", R"({"partition_count":1})").result_int() == 200);
  std::string body = R"({"records":[{"value":"one"}]})";
  std::string pipelined =
      "POST /v1/producer/topics/p HTTP/1.1\r\nHost: localhost\r\n" + f.client->authorization_line() +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
      "GET /v1/consumer/topics/p/partitions/0/offsets/0 HTTP/1.1\r\nHost: localhost\r\n" +
      f.client->authorization_line() +
      "\r\n"
      "GET /v1/nothing HTTP/1.1\r\nHost: localhost\r\n\r\n";
  f.client->send_raw(pipelined);
  auto r1 = f.client->read_reply();
  auto r2 = f.client->read_reply();
  auto r3 = f.client->read_reply();
  CHECK(r1.body() == R"({"offsets":[{"partition":0,"offset":0}]})");
  CHECK(json_of(r2).at("records").as_array()[0].at("value").as_string() == "one");
  CHECK(r3.result_int() == 404);
}

TEST_CASE("an oversized header is 431 and the connection is closed", "[integration][server]") {
  ProxyFixture f({"--max-header-bytes", "2048"});
  f.client->send_raw("GET /v1/status HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  auto r = f.client->read_reply();
  CHECK(r.result_int() == 431);
  CHECK(f.client->closed_by_server());
}

TEST_CASE("a malformed request is 400 and the connection is closed", "[integration][server]") {
  ProxyFixture f;
  f.client->send_raw("THIS IS NOT HTTP\r\n\r\n");
  auto r = f.client->read_reply();
  CHECK(r.result_int() == 400);
  CHECK_THAT(r.body(), Catch::Contains("malformed HTTP request"));
  CHECK(f.client->closed_by_server());
}

TEST_CASE("a client that trickles its header (slowloris) is cut off", "[integration][server]") {
  ProxyFixture f({"--header-timeout-ms", "300"});
  f.client->send_raw("GET /v1/status HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  f.client->send_raw("Host: localhost\r\n");
  const auto start = std::chrono::steady_clock::now();
  CHECK(f.client->closed_by_server());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  // The server is fine for everyone else.
  CHECK(f.connect().get("/v1/status").result_int() == 200);
}

TEST_CASE("a client that stops sending its body is cut off", "[integration][server]") {
  ProxyFixture f({"--body-timeout-ms", "300"});
  f.client->send_raw("POST /v1/producer/topics/t HTTP/1.1\r\nHost: localhost\r\n" + f.client->authorization_line() +
                     "Content-Length: 100\r\n\r\n{\"rec");
  CHECK(f.client->closed_by_server());
}

TEST_CASE("idle keep-alive connections are closed after idle_timeout_ms", "[integration][server]") {
  ProxyFixture f({"--idle-timeout-ms", "300"});
  REQUIRE(f.client->get("/v1/status").result_int() == 200);
  const auto start = std::chrono::steady_clock::now();
  CHECK(f.client->closed_by_server());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250));
}

TEST_CASE("Expect: 100-continue gets an interim response before the body", "[integration][server]") {
  ProxyFixture f;
  REQUIRE(f.client->put("/v1/topics/e", "{}").result_int() == 200);
  std::string body = R"({"records":[{"value":"x"}]})";
  f.client->send_raw("POST /v1/producer/topics/e HTTP/1.1\r\nHost: localhost\r\n" + f.client->authorization_line() +
                     "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  auto interim = f.client->read_reply();
  CHECK(interim.result_int() == 100);
  f.client->send_raw(body);
  CHECK(f.client->read_reply().result_int() == 200);
}

TEST_CASE("plain HTTP mode serves the same API without TLS", "[integration][server]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data", {"--tls=false"});
  CHECK(proxy.url().rfind("http://127.0.0.1:", 0) == 0);
  auto c = proxy.client();
  CHECK(c.put("/v1/topics/plain", "{}").result_int() == 200);
  CHECK(c.post("/v1/producer/topics/plain", R"({"records":[{"value":"x"}]})").result_int() == 200);
  CHECK_FALSE(std::filesystem::exists(dir / "data" / "tls"));
}

TEST_CASE("the TLS listener refuses TLS 1.1 and plain HTTP", "[integration][server]") {
  ProxyFixture f;
  HttpsClient plain(f.proxy.port(), "", 3000);
  plain.send_raw("GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK_THROWS(plain.read_reply());
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ssl::context old(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  asio::ssl::stream<asio::ip::tcp::socket> s(ioc, old);
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), f.proxy.port()});
  boost::system::error_code ec;
  s.handshake(asio::ssl::stream_base::client, ec);
  CHECK(ec);
}

TEST_CASE("SIGTERM finishes the request in flight, then exits 0", "[integration][server]") {
  ProxyFixture f;
  REQUIRE(f.client->put("/v1/topics/s", "{}").result_int() == 200);
  auto idle = f.connect();
  REQUIRE(idle.get("/v1/status").result_int() == 200);
  CHECK(f.proxy.terminate() == 0);
  CHECK(idle.closed_by_server());
  CHECK_THAT(f.proxy.log(), Catch::Contains("stopped"));
}

TEST_CASE("bad configuration is refused at start with the setting named", "[integration][server]") {
  TempDir dir;
  CHECK_THROWS_WITH(ProxyProcess(dir / "data", {"--idle-timeout-ms", "5"}), Catch::Contains("idle_timeout_ms"));
  CHECK_THROWS_WITH(ProxyProcess(dir / "data", {"--durability", "sometimes"}),
                    Catch::Contains("fsync, interval, none"));
  CHECK_THROWS_WITH(ProxyProcess(dir / "data", {"--default-partitions", "20", "--max-partitions-per-topic", "10"}),
                    Catch::Contains("max_partitions_per_topic"));
  std::ofstream(dir / "bad.json") << R"({"listen":"127.0.0.1:0","no_such_setting":1})";
  CHECK_THROWS_WITH(ProxyProcess(dir / "data", {"--config", (dir / "bad.json").string()}),
                    Catch::Contains("unknown setting 'no_such_setting'"));
  std::ofstream(dir / "typo.json") << R"({"listen":"127.0.0.1:0","idle_timout_ms":1000})";
  CHECK_THROWS_WITH(ProxyProcess(dir / "data", {"--config", (dir / "typo.json").string()}),
                    Catch::Contains("unknown setting 'idle_timout_ms' (did you mean 'idle_timeout_ms'?)"));
  // A mistyped flag is named as such, with the flag it was nearest to.
  CHECK_THROWS_WITH(ProxyProcess(dir / "data", {"--idle-timout-ms", "1000"}),
                    Catch::Contains("unknown option --idle-timout-ms (did you mean --idle-timeout-ms?)"));
}

TEST_CASE("a config file sets defaults that flags override", "[integration][server]") {
  TempDir dir;
  std::ofstream(dir / "proxy.json")
      << R"({"default_partitions": 5, "durability": "none", "max_records_per_request": 2})";
  ProxyProcess proxy(dir / "data", {"--config", (dir / "proxy.json").string(), "--max-records-per-request", "3"});
  auto c = proxy.client();
  REQUIRE(c.put("/v1/topics/cfg").result_int() == 200);
  CHECK(json_of(c.get("/v1/metadata/topics/cfg/partitions")).at("partitions").as_array().size() == 5);
  CHECK(c.post("/v1/producer/topics/cfg", R"({"records":[{"value":1},{"value":2},{"value":3}]})").result_int() == 200);
  CHECK(c.post("/v1/producer/topics/cfg", R"({"records":[{"value":1},{"value":2},{"value":3},{"value":4}]})")
            .result_int() == 413);
}

TEST_CASE("metrics count requests by route and status, records in and out", "[integration][server]") {
  ProxyFixture f;
  REQUIRE(f.client->put("/v1/topics/m", "{}").result_int() == 200);
  REQUIRE(f.client->post("/v1/producer/topics/m", R"({"records":[{"value":"abc"},{"value":"de"}]})").result_int() ==
          200);
  REQUIRE(f.client->get("/v1/consumer/topics/m/partitions/0/offsets/0?count=5").result_int() == 200);
  REQUIRE(f.client->get("/v1/consumer/topics/nope/partitions/0/offsets/0").result_int() == 404);
  auto text = f.client->get("/metrics").body();
  CHECK_THAT(text, Catch::Contains(R"(krest_proxy_requests_total{route="produce",status="200"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(krest_proxy_requests_total{route="consume",status="404"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(krest_proxy_request_duration_seconds_bucket{route="produce",le="+Inf"} 1)"));
  CHECK(metric(*f.client, "krest_proxy_records_in_total") == 2);
  CHECK(metric(*f.client, "krest_proxy_record_bytes_in_total") == 5);
  CHECK(metric(*f.client, "krest_proxy_records_out_total") == 2);
}

TEST_CASE("metrics show the embedded log: syncs shared by produce requests, partitions, bytes",
          "[integration][server]") {
  ProxyFixture f;  // durability = fsync, the default
  REQUIRE(f.client->put("/v1/topics/g", R"({"partition_count":2})").result_int() == 200);
  // Catch2's assertions are not thread-safe (ThreadSanitizer said so): the writers count, the
  // test thread checks.
  std::atomic<int> accepted{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&] {
      auto c = f.connect();
      for (int i = 0; i < 10; ++i)
        if (c.post("/v1/producer/topics/g", R"({"records":[{"value":"x"},{"value":"y"}]})").result_int() == 200)
          ++accepted;
    });
  for (auto& t : writers) t.join();
  REQUIRE(accepted == 40);
  // Every acknowledged produce waited for a sync; one fdatasync may cover several of them.
  CHECK(metric(*f.client, "krest_proxy_log_durable_waits_total") == 40);
  const double fsyncs = metric(*f.client, "krest_proxy_log_fsyncs_total");
  CHECK(fsyncs >= 1);
  CHECK(fsyncs <= 40);
  CHECK(metric(*f.client, "krest_proxy_log_fsync_duration_seconds_count") == fsyncs);
  CHECK(metric(*f.client, "krest_proxy_log_topics") == 1);
  CHECK(metric(*f.client, "krest_proxy_log_partitions") == 2);
  CHECK(metric(*f.client, "krest_proxy_log_bytes") > 80);
  CHECK(metric(*f.client, "krest_proxy_log_write_errors_total") == 0);
}

TEST_CASE("retention runs in the background: old segments go, consumers start at the earliest offset",
          "[integration][server]") {
  ProxyFixture f({"--retention-check-interval-ms", "50"});
  REQUIRE(f.client
              ->put("/v1/topics/r",
                    R"({"partition_count":1,"topic_properties":{"retention.bytes":4096,"segment.bytes":1024}})")
              .result_int() == 200);
  const std::string value(300, 'r');
  for (int i = 0; i < 40; ++i)
    REQUIRE(f.client->post("/v1/producer/topics/r", R"({"records":[{"value":")" + value + R"("}]})").result_int() ==
            200);
  // Retention also ran while the records went in: wait until several of its passes (every 50 ms)
  // leave the earliest offset where it is, or a pass after the reading would move it under the consumer.
  std::int64_t earliest = 0;
  int steady = 0;
  for (int i = 0; i < 200 && steady < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    const auto now = json_of(f.client->get("/v1/metadata/topics/r/partitions/0")).at("earliest_offset").as_int64();
    steady = now > 0 && now == earliest ? steady + 1 : 0;
    earliest = now;
  }
  REQUIRE(steady == 5);
  CHECK(json_of(f.client->get("/v1/metadata/topics/r/partitions/0")).at("latest_offset").as_int64() == 40);
  auto r = f.client->get("/v1/consumer/topics/r/partitions/0/offsets/0?count=1000");
  auto records = json_of(r).at("records").as_array();
  REQUIRE_FALSE(records.empty());
  CHECK(records.front().at("offset").as_int64() == earliest);
  CHECK(records.back().at("offset").as_int64() == 39);
  CHECK(metric(*f.client, "krest_proxy_log_segments_deleted_total") > 0);
}

TEST_CASE("TLS files given with --tls-cert and --tls-key are served, and a missing one stops start-up by name",
          "[integration][server]") {
  TempDir dir;
  std::string cert, key;
  {
    ProxyProcess first(dir / "first");  // generates a certificate we can hand to the second
    cert = first.ca_file();
    key = (dir / "first" / "tls" / "key.pem").string();
  }
  ProxyProcess proxy(dir / "data", {"--tls-cert", cert, "--tls-key", key});
  auto c = proxy.client(10000, cert);
  CHECK(c.get("/v1/status").result_int() == 200);
  CHECK_FALSE(std::filesystem::exists(dir / "data" / "tls"));
  CHECK_THROWS_WITH(ProxyProcess(dir / "other", {"--tls-cert", (dir / "nope.pem").string(), "--tls-key", key}),
                    Catch::Contains("nope.pem"));
}

TEST_CASE("a chunked body that grows past max_body_bytes is 413 and the connection is closed",
          "[integration][server]") {
  ProxyFixture f({"--max-body-bytes", "2048"});
  REQUIRE(f.client->put("/v1/topics/c", "{}").result_int() == 200);
  std::string chunk = R"({"records":[{"value":")" + std::string(3000, 'x') + R"("}]})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  f.client->send_raw("POST /v1/producer/topics/c HTTP/1.1\r\nHost: localhost\r\n" + f.client->authorization_line() +
                     "Transfer-Encoding: chunked\r\n\r\n" + std::string(size) + "\r\n" + chunk + "\r\n0\r\n\r\n");
  auto r = f.client->read_reply();
  CHECK(r.result_int() == 413);
  CHECK_THAT(r.body(), Catch::Contains("max_body_bytes = 2048"));
  CHECK(f.client->closed_by_server());
  CHECK(json_of(f.connect().get("/v1/metadata/topics/c/partitions/0")).at("latest_offset").as_int64() == 0);
}
