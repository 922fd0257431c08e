// max_body_memory_bytes and what reads: consume pages get smaller while request bodies fill the
// bound, and a consume is refused with 503 and Retry-After when next to nothing is left.
#include <boost/beast/http/field.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "support/proxy_fixture.hpp"

using namespace krest::test;
namespace http = boost::beast::http;

namespace {

std::string records_of(std::size_t count, std::size_t bytes) {
  std::string body = R"({"records":[)";
  for (std::size_t i = 0; i < count; ++i) body += (i ? "," : "") + std::string(R"({"value":")") + std::string(bytes, 'r') + "\"}";
  return body + "]}";
}

// A produce whose header and first bytes are sent: its body is admitted (and counted) but still
// arriving. finish() sends the rest and reads the answer.
struct HeldBody {
  HttpsClient c;
  std::string body;
  HeldBody(const ProxyFixture& f, std::size_t bytes) : c(f.connect()), body(records_of(1, bytes - 16)) {
    c.send_raw("POST /v1/producer/topics/c HTTP/1.1\r\nHost: localhost\r\n" + c.authorization_line() +
               "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
               body.substr(0, 100));
  }
  int finish() {
    c.send_raw(body.substr(100));
    return c.read_reply().result_int();
  }
};

// Waits (5 s at most) until /metrics counts no memory held but that of `held` bytes: an answer the
// client has read may still be counted until the server sees its write complete.
void wait_for_held(const ProxyFixture& f, std::uint64_t held) {
  auto m = f.connect();
  const std::string line = "krest_proxy_body_memory_bytes " + std::to_string(held) + "\n";
  for (int i = 0; i < 250; ++i) {
    if (m.get("/metrics").body().find(line) != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("body memory never came to " << held);
}

std::size_t page_records(HttpsClient& c) {
  auto r = c.get("/v1/consumer/topics/c/partitions/0/offsets/0?count=5000");
  REQUIRE(r.result_int() == 200);
  return json_of(r).at("records").as_array().size();
}

}  // namespace

TEST_CASE("consume pages shrink while bodies fill max_body_memory_bytes and 503 when nothing is left",
          "[integration][server][memory]") {
  ProxyFixture f({"--max-body-bytes", "1048576", "--max-body-memory-bytes", "4194304"});
  REQUIRE(f.client->put("/v1/topics/c", R"({"partition_count":1})").result_int() == 200);
  for (int i = 0; i < 4; ++i) REQUIRE(f.client->post("/v1/producer/topics/c", records_of(1000, 900)).result_int() == 200);
  auto reader = f.connect();
  wait_for_held(f, 0);
  // Alone: a page is at most half the bound (2 MiB: records and their JSON both count). Other
  // answers being written (the /metrics one just read) may take a few kilobytes of it.
  const std::size_t whole = 2 * 1048576 / 900 + 1;
  const auto alone = page_records(reader);
  CHECK(alone > whole - 100);
  CHECK(alone <= whole);

  // Two bodies of 900 KB arriving hold 3.6 MB of the 4 MiB: the page is at most (4 MiB - 3.6 MB) / 2.
  HeldBody a(f, 900000), b(f, 900000);
  wait_for_held(f, 2 * (a.body.size() + b.body.size()));
  const auto squeezed = page_records(reader);
  CHECK(squeezed >= 1);
  CHECK(squeezed <= (4194304 - 3600000) / 2 / 900 + 1);

  // Nearly all of it held: a consume is refused, with Retry-After.
  HeldBody c(f, 260000);
  wait_for_held(f, 2 * (a.body.size() + b.body.size() + c.body.size()));
  auto r = reader.get("/v1/consumer/topics/c/partitions/0/offsets/0?count=5000");
  CHECK(r.result_int() == 503);
  CHECK(r[http::field::retry_after] == "1");
  CHECK_THAT(r.body(), Catch::Contains("max_body_memory_bytes"));
  // Counted apart from the bodies refused from their header (none here).
  const auto metrics = f.client->get("/metrics").body();
  CHECK_THAT(metrics, Catch::Contains("krest_proxy_consume_memory_refused_total 1\n"));
  CHECK_THAT(metrics, Catch::Contains("krest_proxy_body_memory_refused_total 0\n"));

  // The bodies stored, pages are whole again.
  CHECK(a.finish() == 200);
  CHECK(b.finish() == 200);
  CHECK(c.finish() == 200);
  wait_for_held(f, 0);
  const auto again = page_records(reader);
  CHECK(again > whole - 100);
  CHECK(again <= whole);
}
