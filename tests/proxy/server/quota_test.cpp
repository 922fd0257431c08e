// Quotas per caller in a real krest-proxy over TLS: two applications with tokens of their own from
// the proxy's authority, one held to a quota, the other not.
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "support/proxy_fixture.hpp"
#include "support/test_authority.hpp"

using namespace krest::test;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kGreedy = "greedy-app";

// A proxy whose authority knows the test application and kGreedy (same secret), with `quota_args`.
struct TwoCallers {
  TempDir dir;
  std::unique_ptr<ProxyProcess> proxy;

  explicit TwoCallers(std::vector<std::string> quota_args) {
    const auto authority = dir / "authority.json";
    write_authority_file(authority, 3600,
                         std::string(R"(,{"client_id":")") + kGreedy + R"(","secret_hash":")" + kClientSecretHash +
                             R"(","groups":[")" + kAllowedGroup + R"("]})");
    std::vector<std::string> args = {"--authority-file", authority.string(), "--auth-allowed-groups", kAllowedGroup};
    args.insert(args.end(), quota_args.begin(), quota_args.end());
    proxy = std::make_unique<ProxyProcess>(dir / "data", args);
  }

  // "Bearer <token>" for `client_id`.
  std::string bearer(const std::string& client_id) const {
    auto c = proxy->client();
    auto r = c.request(http::verb::post, std::string("/") + kTenant + "/oauth2/v2.0/token",
                       "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" + kClientSecret +
                           "&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default",
                       "application/x-www-form-urlencoded");
    REQUIRE(r.result_int() == 200);
    return "Bearer " + std::string(boost::json::parse(r.body()).at("access_token").as_string());
  }

  // A connection carrying `client_id`'s token.
  HttpsClient connect(const std::string& client_id) const {
    auto c = proxy->client();
    c.set_authorization(bearer(client_id));
    return c;
  }
};

std::string values_of(std::size_t records, std::size_t bytes) {
  std::string body = R"({"records":[)";
  for (std::size_t i = 0; i < records; ++i) body += (i ? "," : "") + std::string(R"({"value":")") + std::string(bytes, 'v') + "\"}";
  return body + "]}";
}

}  // namespace

TEST_CASE("a caller over its request quota gets 429 with Retry-After and another caller is not held back",
          "[integration][quota]") {
  TwoCallers f({"--quota-callers", std::string(kGreedy) + " requests_per_s=20"});
  auto greedy = f.connect(kGreedy);
  auto calm = f.connect(kClientId);
  int passed = 0, refused = 0;
  std::string retry_after, message;
  const auto started = Clock::now();
  for (int i = 0; i < 120; ++i) {
    auto r = greedy.get("/v1/metadata/topics");
    if (r.result_int() == 200) ++passed;
    if (r.result_int() == 429) {
      ++refused;
      retry_after = std::string(r[http::field::retry_after]);
      message = r.body();
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  CAPTURE(passed, refused, seconds);
  CHECK(passed >= 20);                       // the burst...
  CHECK(passed <= 21 + 20 * seconds);        // ...then 20 a second
  CHECK(refused == 120 - passed);
  CHECK(retry_after == "1");
  CHECK_THAT(message, Catch::Contains("greedy-app") && Catch::Contains("20 requests_per_s"));
  // The other application has no quota: as many as it likes, none refused.
  for (int i = 0; i < 120; ++i) REQUIRE(calm.get("/v1/metadata/topics").result_int() == 200);
  // Waiting as told gets the greedy one in again.
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(retry_after)));
  CHECK(greedy.get("/v1/metadata/topics").result_int() == 200);

  const auto metrics = calm.get("/metrics").body();
  CHECK_THAT(metrics, Catch::Contains(R"(krest_proxy_quota_refused_total{caller="greedy-app",quota="requests_per_s"} )" +
                                      std::to_string(refused)));
  CHECK_THAT(metrics, Catch::Contains(R"(krest_proxy_caller_requests_total{caller="krest-test-app"} 120)"));
}

TEST_CASE("produce and consume byte quotas hold a caller to its rate while its records are all kept",
          "[integration][quota]") {
  TwoCallers f({"--quota-callers", std::string(kGreedy) + " produce_bytes_per_s=100000 consume_bytes_per_s=100000"});
  auto greedy = f.connect(kGreedy);
  REQUIRE(greedy.put("/v1/topics/quota").result_int() == 200);
  // 90 KB bodies against 100 KB/s: two go in at once (the second into debt), the third waits it off.
  const auto body = values_of(90, 1000);
  CHECK(greedy.post("/v1/producer/topics/quota", body).result_int() == 200);
  CHECK(greedy.post("/v1/producer/topics/quota", body).result_int() == 200);
  // The third is refused from its header, before any of its body is read (the connection closes:
  // the unread body cannot be skipped).
  auto raw = f.proxy->client();
  raw.send_raw("POST /v1/producer/topics/quota HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + f.bearer(kGreedy) +
               "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  auto r = raw.read_reply();
  REQUIRE(r.result_int() == 429);
  CHECK_THAT(r.body(), Catch::Contains("produce_bytes_per_s"));
  CHECK(std::stoi(std::string(r[http::field::retry_after])) == 1);
  CHECK(raw.closed_by_server());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(greedy.post("/v1/producer/topics/quota", body).result_int() == 200);

  // Reading the 270 records back (about 270 KB): the first 150 go, the next answer waits.
  auto first = greedy.get("/v1/consumer/topics/quota/partitions/0/offsets/0?count=150");
  REQUIRE(first.result_int() == 200);
  auto next = greedy.get("/v1/consumer/topics/quota/partitions/0/offsets/150?count=150");
  REQUIRE(next.result_int() == 429);
  CHECK_THAT(next.body(), Catch::Contains("consume_bytes_per_s"));
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(std::string(next[http::field::retry_after]))));
  next = greedy.get("/v1/consumer/topics/quota/partitions/0/offsets/150?count=150");
  REQUIRE(next.result_int() == 200);
  CHECK(boost::json::parse(next.body()).at("records").as_array().size() == 120);
  // The other caller reads everything at once.
  auto calm = f.connect(kClientId);
  for (int i = 0; i < 5; ++i)
    REQUIRE(calm.get("/v1/consumer/topics/quota/partitions/0/offsets/0?count=270").result_int() == 200);
}

TEST_CASE("a group's quota holds its members together while each caller's own still applies",
          "[integration][quota]") {
  // Both applications are in the allowed group; the group may make 20 requests a second in all.
  TwoCallers f({"--quota-groups", std::string(kAllowedGroup) + " requests_per_s=20"});
  auto greedy = f.connect(kGreedy);
  auto calm = f.connect(kClientId);
  int passed = 0, refused_greedy = 0, refused_calm = 0;
  std::string message;
  const auto started = Clock::now();
  for (int i = 0; i < 60; ++i) {
    for (auto* c : {&greedy, &calm}) {
      auto r = c->get("/v1/metadata/topics");
      if (r.result_int() == 200) ++passed;
      if (r.result_int() == 429) {
        ++(c == &greedy ? refused_greedy : refused_calm);
        message = r.body();
        CHECK(r[http::field::retry_after] == "1");
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  CAPTURE(passed, refused_greedy, refused_calm, seconds);
  CHECK(passed >= 20);
  CHECK(passed <= 21 + 20 * seconds);
  CHECK(refused_greedy > 0);  // both held: the quota is the group's, not either caller's
  CHECK(refused_calm > 0);
  CHECK_THAT(message, Catch::Contains(std::string("group '") + kAllowedGroup + "'") &&
                          Catch::Contains("shared quota of 20 requests_per_s"));
  const auto metrics = f.proxy->client().get("/metrics").body();
  CHECK_THAT(metrics, Catch::Contains(std::string(R"(krest_proxy_group_quota_refused_total{group=")") +
                                      kAllowedGroup + R"(",quota="requests_per_s"} )" +
                                      std::to_string(refused_greedy + refused_calm)));
}
