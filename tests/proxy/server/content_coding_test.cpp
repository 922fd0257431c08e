// Content codings at krest-proxy's edge, over real TLS: request bodies in gzip and zstd decoded,
// bombs and lies refused, other codings 415 with what is accepted (RFC 7694), answers compressed
// when asked, and each request body's transfer time reported in Server-Timing.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "coding/content_coding.hpp"
#include "support/proxy_fixture.hpp"

using namespace krest::test;
using krest::coding::Coding;
namespace http = boost::beast::http;

namespace {

std::string produce_body(int records) {
  std::string body = R"({"records":[)";
  for (int i = 0; i < records; ++i)
    body += (i ? "," : "") + std::string(R"({"value":"record number )") + std::to_string(i) + R"( of the batch"})";
  return body + "]}";
}

// A raw request with extra header lines, and its reply.
Reply exchange(HttpsClient& c, const std::string& method, const std::string& target, const std::string& headers,
               const std::string& body = {}) {
  c.send_raw(
      method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + c.authorization_line() + headers +
      (body.empty() && method == "GET" ? std::string() : "Content-Length: " + std::to_string(body.size()) + "\r\n") +
      "\r\n" + body);
  return c.read_reply();
}

std::string packed(Coding c, const std::string& text, int level = 1) {
  std::string out;
  krest::coding::encode(c, text, level, out);
  return out;
}

}  // namespace

TEST_CASE("krest-proxy decodes gzip and zstd request bodies and says it takes them", "[integration][server][coding]") {
  ProxyFixture f;
  REQUIRE(f.client->put("/v1/topics/z", R"({"partition_count":1})").result_int() == 200);
  const std::string body = produce_body(300);
  for (Coding c : {Coding::gzip, Coding::zstd}) {
    CAPTURE(krest::coding::name(c));
    const auto r =
        exchange(*f.client, "POST", "/v1/producer/topics/z",
                 "Content-Type: application/json\r\nContent-Encoding: " + std::string(krest::coding::name(c)) + "\r\n",
                 packed(c, body));
    REQUIRE(r.result_int() == 200);
    CHECK(r[http::field::accept_encoding] == "zstd, gzip");
  }
  // A body of 4 KiB or more, as it came over the wire, gets its transfer time back; a smaller one
  // (these compressed ones) says nothing worth reporting.
  auto big = exchange(*f.client, "POST", "/v1/producer/topics/z", "Content-Type: application/json\r\n", body);
  REQUIRE(big.result_int() == 200);
  CHECK(big["Server-Timing"].starts_with("body;dur="));
  auto small =
      exchange(*f.client, "POST", "/v1/producer/topics/z", "Content-Type: application/json\r\n", produce_body(2));
  CHECK(small.find("Server-Timing") == small.end());
  // A body whose second half comes 200 ms after its first: the time the server waited for it is
  // the time reported (a body all there before the server began reading it reports none).
  f.client->send_raw("POST /v1/producer/topics/z HTTP/1.1\r\nHost: localhost\r\n" + f.client->authorization_line() +
                     "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                     body.substr(0, body.size() / 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  f.client->send_raw(body.substr(body.size() / 2));
  auto halves = f.client->read_reply();
  REQUIRE(halves.result_int() == 200);
  const std::string timing(halves["Server-Timing"]);
  REQUIRE(timing.starts_with("body;dur="));
  CHECK(std::stod(timing.substr(9)) >= 150);
  const auto read = json_of(f.client->get("/v1/consumer/topics/z/partitions/0/offsets/0?count=1000"));
  const auto& records = read.at("records").as_array();
  REQUIRE(records.size() == 1000);  // of 1,202, as many as asked for
  CHECK(records[599].at("value").as_string() == "record number 299 of the batch");
}

TEST_CASE("krest-proxy refuses compressed bombs, lies and codings it does not take", "[integration][server][coding]") {
  ProxyFixture f({"--max-body-bytes", "1048576"});
  REQUIRE(f.client->put("/v1/topics/b", R"({"partition_count":1})").result_int() == 200);
  const std::string ct = "Content-Type: application/json\r\n";
  // 64 MiB of JSON whitespace in a few KB: refused at 1 MiB decoded, nothing stored.
  const std::string bomb_text = R"({"records":[{"value":"x"})" + std::string(64 << 20, ' ') + "]}";
  for (Coding c : {Coding::gzip, Coding::zstd}) {
    const std::string bomb = packed(c, bomb_text, 19);
    REQUIRE(bomb.size() < 200 * 1024);
    auto r = exchange(*f.client, "POST", "/v1/producer/topics/b",
                      ct + "Content-Encoding: " + std::string(krest::coding::name(c)) + "\r\n", bomb);
    CHECK(r.result_int() == 413);
    CHECK_THAT(r.body(), Catch::Contains("decodes to more than max_body_bytes"));
  }
  // Not what it says it is.
  auto r = exchange(*f.client, "POST", "/v1/producer/topics/b", ct + "Content-Encoding: gzip\r\n", produce_body(2));
  CHECK(r.result_int() == 400);
  CHECK_THAT(r.body(), Catch::Contains("not valid gzip"));
  // A coding not taken: 415, and what is (RFC 7694).
  r = exchange(*f.client, "POST", "/v1/producer/topics/b", ct + "Content-Encoding: br\r\n", produce_body(2));
  CHECK(r.result_int() == 415);
  CHECK(r[http::field::accept_encoding] == "zstd, gzip");
  CHECK(json_of(f.connect().get("/v1/metadata/topics/b/partitions/0")).at("latest_offset").as_int64() == 0);
}

TEST_CASE("a compressed body is decoded only for a caller with a token", "[integration][server][coding]") {
  ProxyFixture f;
  REQUIRE(f.proxy.has_test_authority());
  // Not gzip at all: decoded, it would be a 400. Without a token it is never decoded.
  HttpsClient anonymous(f.proxy.port(), f.proxy.ca_file());
  auto r = exchange(anonymous, "POST", "/v1/producer/topics/t",
                    "Content-Type: application/json\r\nContent-Encoding: gzip\r\n", produce_body(2));
  CHECK(r.result_int() == 401);
}

TEST_CASE("a compressed body is counted at what it decodes to in max_body_memory_bytes",
          "[integration][server][coding]") {
  // Room for 2 MiB: a body counts twice (as it came and as parsed), so 1 MiB of bodies at once.
  ProxyFixture f({"--max-body-bytes", "1048576", "--max-body-memory-bytes", "2097152"});
  REQUIRE(f.client->put("/v1/topics/m", R"({"partition_count":1})").result_int() == 200);
  const auto one_value = [](char c, std::size_t n) { return R"({"records":[{"value":")" + std::string(n, c) + "\"}]}"; };
  const std::string ct = "Content-Type: application/json\r\n";
  // A plain body of 700 KB admitted and still arriving: 1.4 MB of the 2 MiB held.
  const std::string held = one_value('h', 700000);
  auto a = f.connect();
  a.send_raw("POST /v1/producer/topics/m HTTP/1.1\r\nHost: localhost\r\n" + a.authorization_line() + ct +
             "Content-Length: " + std::to_string(held.size()) + "\r\n\r\n" + held.substr(0, 1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // 600 KB that arrive as a few hundred bytes of zstd: there is no room for what they decode to.
  const std::string wide = packed(Coding::zstd, one_value('w', 600000));
  REQUIRE(wide.size() < 2000);
  auto b = f.connect();
  auto r = exchange(b, "POST", "/v1/producer/topics/m", ct + "Content-Encoding: zstd\r\n", wide);
  CHECK(r.result_int() == 503);
  CHECK(r[http::field::retry_after] == "1");
  CHECK_THAT(r.body(), Catch::Contains("max_body_memory_bytes"));
  // Once the held body is stored, there is room again.
  a.send_raw(held.substr(1000));
  CHECK(a.read_reply().result_int() == 200);
  auto c = f.connect();
  r = exchange(c, "POST", "/v1/producer/topics/m", ct + "Content-Encoding: zstd\r\n", wide);
  CHECK(r.result_int() == 200);
  CHECK(json_of(f.connect().get("/v1/metadata/topics/m/partitions/0")).at("latest_offset").as_int64() == 2);
}

TEST_CASE("krest-proxy with compression none takes only plain bodies", "[integration][server][coding]") {
  ProxyFixture f({"--compression", "none"});
  REQUIRE(f.client->put("/v1/topics/n", R"({"partition_count":1})").result_int() == 200);
  auto r =
      exchange(*f.client, "POST", "/v1/producer/topics/n",
               "Content-Type: application/json\r\nContent-Encoding: zstd\r\n", packed(Coding::zstd, produce_body(3)));
  CHECK(r.result_int() == 415);
  CHECK(r[http::field::accept_encoding] == "identity");
  // ...and answers as they are, whatever is asked.
  auto c = f.connect();
  REQUIRE(c.post("/v1/producer/topics/n", produce_body(300)).result_int() == 200);
  r = exchange(c, "GET", "/v1/consumer/topics/n/partitions/0/offsets/0?count=300", "Accept-Encoding: zstd, gzip\r\n");
  CHECK(r.result_int() == 200);
  CHECK(r.find(http::field::content_encoding) == r.end());
  CHECK(r.find(http::field::accept_encoding) == r.end());
}

TEST_CASE("krest-proxy compresses answers the client asks compressed", "[integration][server][coding]") {
  ProxyFixture f({"--compression-min-bytes", "2000"});
  REQUIRE(f.client->put("/v1/topics/a", R"({"partition_count":1})").result_int() == 200);
  REQUIRE(f.client->post("/v1/producer/topics/a", produce_body(500)).result_int() == 200);
  const auto plain = f.client->get("/v1/consumer/topics/a/partitions/0/offsets/0?count=500");
  REQUIRE(plain.result_int() == 200);
  CHECK(plain.find(http::field::content_encoding) == plain.end());  // not asked: as it is
  struct Case {
    std::string accept;
    std::string coding;
  };
  for (const auto& k : std::vector<Case>{{"gzip", "gzip"},
                                         {"zstd", "zstd"},
                                         {"gzip;q=0.5, zstd", "zstd"},
                                         {"zstd;q=0.1, gzip;q=0.9", "gzip"},
                                         {"br", ""},
                                         {"*;q=0", ""}}) {
    CAPTURE(k.accept);
    auto r = exchange(*f.client, "GET", "/v1/consumer/topics/a/partitions/0/offsets/0?count=500",
                      "Accept-Encoding: " + k.accept + "\r\n");
    REQUIRE(r.result_int() == 200);
    CHECK(r["NextOffset"] == "500");
    if (k.coding.empty()) {
      CHECK(r.find(http::field::content_encoding) == r.end());
      CHECK(r.body() == plain.body());
      continue;
    }
    CHECK(r[http::field::content_encoding] == k.coding);
    CHECK(r[http::field::vary] == "Accept-Encoding");
    CHECK(r.body().size() * 4 < plain.body().size());
    std::string decoded;
    REQUIRE(krest::coding::decode(*krest::coding::parse_coding(k.coding), r.body(), 1 << 24, decoded).status ==
            krest::coding::DecodeStatus::ok);
    CHECK(decoded == plain.body());
  }
  // Below compression_min_bytes: as it is, asked or not.
  auto small =
      exchange(*f.client, "GET", "/v1/consumer/topics/a/partitions/0/offsets/0?count=2", "Accept-Encoding: gzip\r\n");
  CHECK(small.find(http::field::content_encoding) == small.end());
}
