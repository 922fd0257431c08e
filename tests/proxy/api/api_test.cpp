// Every operation of the v1 contract (shared/spec/hdinsight-v1.md), over real TLS sockets.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <thread>

#include <boost/json/serialize.hpp>

#include "api/partitioner.hpp"
#include "support/proxy_fixture.hpp"

using namespace krest::test;
namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

// Through the API on the embedded log; through the mock's own API on Kafka, whose mock cluster has
// no CreateTopics (topic properties are then not set).
void create_topic(ProxyFixture& f, const std::string& name, int partitions, const std::string& props = "{}") {
  if (f.kafka) {
    f.kafka->create_topic(name, partitions);
    // Asking for an unknown topic refreshes the proxy's metadata: it lists the topic from now on.
    REQUIRE(f.client->get("/v1/metadata/topics/" + name + "/partitions").result_int() == 200);
    return;
  }
  auto r = f.client->put("/v1/topics/" + name, R"({"partition_count":)" + std::to_string(partitions) +
                                                 R"(,"replication_factor":1,"topic_properties":)" + props + "}");
  REQUIRE(r.result_int() == 200);
}

// True (and says why in the test's output) when a test cannot run against the Kafka mock cluster.
bool untested_on_kafka(const ProxyFixture& f, const char* why) {
  if (!f.kafka) return false;
  WARN("untested against the Kafka mock cluster: " << why);
  return true;
}

void check_error(const Reply& r, unsigned status, const std::string& fragment) {
  INFO(r.body());
  CHECK(r.result_int() == status);
  CHECK(r[http::field::content_type] == "application/json");
  auto body = json_of(r).as_object();
  CHECK(body.at("error_code").as_int64() == status);
  CHECK_THAT(std::string(body.at("message").as_string()), Catch::Contains(fragment));
}

std::int64_t latest_offset(HttpsClient& c, const std::string& topic, int partition) {
  auto r = c.get("/v1/metadata/topics/" + topic + "/partitions/" + std::to_string(partition));
  REQUIRE(r.result_int() == 200);
  return json_of(r).at("latest_offset").as_int64();
}

}  // namespace

TEST_CASE("status and health answer 200 with a small JSON body", "[integration][api]") {
  ProxyFixture f;
  for (const char* path : {"/v1/status", "/health"}) {
    auto r = f.client->get(path);
    CHECK(r.result_int() == 200);
    CHECK(json_of(r).at("status").as_string() == "OK");
  }
}

TEST_CASE("create topic: the documentation's sample body works and the topic is listed", "[integration][api]") {
  ProxyFixture f;
  if (untested_on_kafka(f, "create topic (the mock has no CreateTopics API)")) return;
  auto r = f.client->put(
      "/v1/topics/sample",
      R"({"partition_count":2,"replication_factor":1,"topic_properties":{"retention.ms":604800000,"min.insync.replicas":"1"}})");
  REQUIRE(r.result_int() == 200);
  CHECK(json_of(r).at("topic").as_string() == "sample");
  auto list = json_of(f.client->get("/v1/metadata/topics"));
  CHECK(list.at("topics").as_array() == json::array{"sample"});
  auto parts = json_of(f.client->get("/v1/metadata/topics/sample/partitions"));
  CHECK(parts.at("topic").as_string() == "sample");
  CHECK(parts.at("partitions").as_array().size() == 2);
}

TEST_CASE("create topic: without a body the server defaults apply", "[integration][api]") {
  ProxyFixture f({"--default-partitions", "4"});
  if (untested_on_kafka(f, "create topic (the mock has no CreateTopics API)")) return;
  REQUIRE(f.client->put("/v1/topics/defaults").result_int() == 200);
  CHECK(json_of(f.client->get("/v1/metadata/topics/defaults/partitions")).at("partitions").as_array().size() == 4);
}

TEST_CASE("create topic: errors", "[integration][api]") {
  ProxyFixture f;
  if (untested_on_kafka(f, "create topic errors (the mock has no CreateTopics API)")) return;
  create_topic(f, "exists", 1);
  check_error(f.client->put("/v1/topics/exists", "{}"), 409, "already exists");
  check_error(f.client->put("/v1/topics/a%20b", "{}"), 400, "invalid topic name");
  check_error(f.client->put("/v1/topics/%2e%2e", "{}"), 400, "not a valid topic name");
  check_error(f.client->put("/v1/topics/a%2Fb", "{}"), 400, "invalid topic name");
  check_error(f.client->put("/v1/topics/" + std::string(250, 'x'), "{}"), 400, "at most 249");
  check_error(f.client->put("/v1/topics/zero", R"({"partition_count":0})"), 400, "partition_count");
  check_error(f.client->put("/v1/topics/neg", R"({"partition_count":-3})"), 400, "partition_count");
  check_error(f.client->put("/v1/topics/huge", R"({"partition_count":99999999999})"), 400, "partition_count");
  check_error(f.client->put("/v1/topics/many", R"({"partition_count":2000000000})"), 400,
              "max_partitions_per_topic = 1000");
  check_error(f.client->put("/v1/topics/str", R"({"partition_count":"2"})"), 400, "partition_count must be an integer");
  check_error(f.client->put("/v1/topics/badjson", R"({"partition_count":)"), 400, "malformed JSON");
  check_error(f.client->put("/v1/topics/unknownfield", R"({"partitions":2})"), 400, "unknown field");
  check_error(f.client->put("/v1/topics/badprop", R"({"topic_properties":{"retention.ms":"soon"}})"), 400,
              "retention.ms");
  check_error(f.client->put("/v1/topics/compact", R"({"topic_properties":{"cleanup.policy":"compact"}})"), 400,
              "cleanup.policy");
  // Nothing of the failed creates exists.
  CHECK(json_of(f.client->get("/v1/metadata/topics")).at("topics").as_array() == json::array{"exists"});
}

TEST_CASE("topic names are percent-decoded from the path", "[integration][api]") {
  ProxyFixture f;
  if (f.kafka)
    create_topic(f, "my.topic_1", 1);
  else
    REQUIRE(f.client->put("/v1/topics/my%2Etopic%5F1", "{}").result_int() == 200);
  CHECK(json_of(f.client->get("/v1/metadata/topics")).at("topics").as_array() == json::array{"my.topic_1"});
  CHECK(f.client->post("/v1/producer/topics/my.topic_1", R"({"records":[{"value":"x"}]})").result_int() == 200);
  check_error(f.client->get("/v1/metadata/topics/bad%zz/partitions"), 400, "malformed request target");
}

TEST_CASE("brokers: the embedded log reports itself as one broker, Kafka its brokers", "[integration][api]") {
  ProxyFixture f;
  if (f.kafka) {
    auto brokers = json_of(f.client->get("/v1/metadata/brokers")).at("brokers").as_array();
    REQUIRE(brokers.size() == 3);
    for (const auto& b : brokers) {
      CHECK(b.at("hostName").as_string() == "127.0.0.1");
      auto port = std::to_string(b.at("port").as_int64());
      CHECK_THAT(f.kafka->bootstrap(), Catch::Contains("127.0.0.1:" + port));
    }
    return;
  }
  auto brokers = json_of(f.client->get("/v1/metadata/brokers")).at("brokers").as_array();
  REQUIRE(brokers.size() == 1);
  auto b = brokers[0].as_object();
  CHECK(b.at("hostName").as_string() == "localhost");
  CHECK(b.at("port").as_int64() == f.proxy.port());
  CHECK(b.at("id").as_int64() == 0);
  CHECK(b.at("rack").is_null());
}

TEST_CASE("partition metadata: the topic's properties beside its partitions, left out when the cluster cannot tell", "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "props", 1, R"({"retention.ms":"3600000"})");
  for (int asked = 0; asked < 2; ++asked) {  // the second time from what the first learned
    auto r = f.client->get("/v1/metadata/topics/props/partitions");
    REQUIRE(r.result_int() == 200);
    auto parts = json_of(r).as_object();
    CHECK(parts.at("partitions").as_array().size() == 1);
    if (f.kafka)  // the mock cluster has no DescribeConfigs (nor CreateTopics: no properties set)
      CHECK_FALSE(parts.contains("topic_properties"));
    else
      CHECK(parts.at("topic_properties").at("retention.ms").as_string() == "3600000");
  }
}

TEST_CASE("partition metadata: exact field names, high-water mark, and 404/400 errors", "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "meta", 2);
  REQUIRE(
      f.client
          ->post("/v1/producer/topics/meta", R"({"records":[{"value":"a","partition":1},{"value":"b","partition":1}]})")
          .result_int() == 200);
  auto p = json_of(f.client->get("/v1/metadata/topics/meta/partitions/1")).as_object();
  CHECK(p.at("partition_id").as_int64() == 1);
  CHECK(p.at("earliest_offset").as_int64() == 0);
  CHECK(p.at("latest_offset").as_int64() == 2);
  CHECK(p.at("leader").at("hostName").as_string() == (f.kafka ? "127.0.0.1" : "localhost"));
  if (f.kafka) {  // the mock places replicas on every broker whatever the factor asked
    CHECK_FALSE(p.at("replicas").as_array().empty());
    CHECK(p.at("isr").as_array().size() == p.at("replicas").as_array().size());
  } else {
    CHECK(p.at("replicas").as_array().size() == 1);
    CHECK(p.at("isr").as_array().size() == 1);
  }
  check_error(f.client->get("/v1/metadata/topics/meta/partitions/2"), 404, "has no partition 2");
  check_error(f.client->get("/v1/metadata/topics/nope/partitions/0"), 404, "not found");
  check_error(f.client->get("/v1/metadata/topics/nope/partitions"), 404, "not found");
  check_error(f.client->get("/v1/metadata/topics/meta/partitions/x"), 400, "partition 'x'");
  check_error(f.client->get("/v1/metadata/topics/meta/partitions/-1"), 400, "partition '-1'");
  check_error(f.client->get("/v1/metadata/topics/meta/partitions/99999999999"), 400, "partition");
}

TEST_CASE("produce: one offset per record in request order, keys placed by murmur2", "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "orders", 3);
  auto r = f.client->post("/v1/producer/topics/orders", R"({"records":[
      {"key":"key1","value":"v1"},{"key":"key2","value":"v2"},{"key":"key1","value":"v3"},
      {"value":"explicit","partition":2},{"key":"key3","value":{"nested":true},"partition":0}]})");
  REQUIRE(r.result_int() == 200);
  auto offsets = json_of(r).at("offsets").as_array();
  REQUIRE(offsets.size() == 5);
  auto part = [&](std::size_t i) { return offsets[i].at("partition").as_int64(); };
  auto off = [&](std::size_t i) { return offsets[i].at("offset").as_int64(); };
  CHECK(part(0) == krest::api::partition_for_key("key1", 3));
  CHECK(part(1) == krest::api::partition_for_key("key2", 3));
  CHECK(part(2) == part(0));
  CHECK(part(3) == 2);
  CHECK(part(4) == 0);
  // Within each partition, offsets follow request order without gaps (a fresh topic starts at 0).
  std::map<std::int64_t, std::int64_t> next;
  for (std::size_t i = 0; i < offsets.size(); ++i) CHECK(off(i) == next[part(i)]++);
}

TEST_CASE("produce: keyless records of one request stay together, requests rotate partitions", "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "sticky", 3);
  std::set<std::int64_t> used;
  for (int i = 0; i < 3; ++i) {
    auto offsets = json_of(f.client->post("/v1/producer/topics/sticky", R"({"records":[{"value":1},{"value":2}]})"))
                       .at("offsets")
                       .as_array();
    CHECK(offsets[0].at("partition") == offsets[1].at("partition"));
    used.insert(offsets[0].at("partition").as_int64());
  }
  CHECK(used.size() == 3);
}

TEST_CASE("produce: a request with any bad record stores nothing", "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "atomic", 2, R"({"max.message.bytes":100})");
  check_error(f.client->post("/v1/producer/topics/atomic",
                             R"({"records":[{"value":"ok","partition":0},{"value":"x","partition":2}]})"),
              400, "records[1].partition 2 is out of range");
  if (!untested_on_kafka(f, "a record over max.message.bytes stores nothing (Kafka has no all-or-nothing "
                            "across records; the mock cannot set topic properties)"))
    check_error(f.client->post("/v1/producer/topics/atomic", R"({"records":[{"value":"ok","partition":0},{"value":")" +
                                                                 std::string(200, 'x') + R"("}]})"),
                400, "max.message.bytes");
  check_error(f.client->post("/v1/producer/topics/atomic", R"({"records":[{"value":"ok"},{"key":"no value"}]})"), 400,
              "missing the required field 'value'");
  CHECK(latest_offset(*f.client, "atomic", 0) == 0);
  CHECK(latest_offset(*f.client, "atomic", 1) == 0);
}

TEST_CASE("produce: malformed bodies are 400 naming the problem", "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "t", 1);
  check_error(f.client->post("/v1/producer/topics/t", "not json"), 400, "malformed JSON");
  check_error(f.client->post("/v1/producer/topics/t", ""), 400, "empty");
  check_error(f.client->post("/v1/producer/topics/t", "{\"records\":[{\"value\":\"\xc3\x28\"}]}"), 400,
              "malformed JSON");
  check_error(f.client->post("/v1/producer/topics/t", R"({"records":[{"value":1,"partition":"0"}]})"), 400,
              "partition must be an integer");
  check_error(f.client->post("/v1/producer/topics/t", R"({"records":[{"value":1,"partition":1e3}]})"), 400,
              "partition must be an integer");
  check_error(f.client->post("/v1/producer/topics/t", R"({"records":[{"value":1,"headers":{}}]})"), 400,
              "unknown field 'records[0].headers'");
  check_error(f.client->post("/v1/producer/topics/t", R"({"recs":[]})"), 400, "unknown field 'recs'");
  check_error(f.client->post("/v1/producer/topics/missing", R"({"records":[{"value":1}]})"), 404,
              "topic 'missing' not found");
  CHECK(latest_offset(*f.client, "t", 0) == 0);
}

TEST_CASE("produce: more records than allowed is 413, and so is a body over the limit", "[integration][api]") {
  ProxyFixture f({"--max-records-per-request", "3", "--max-body-bytes", "4096"});
  create_topic(f, "t", 1);
  check_error(
      f.client->post("/v1/producer/topics/t", R"({"records":[{"value":1},{"value":2},{"value":3},{"value":4}]})"), 413,
      "limit is 3");
  auto big = f.connect();
  check_error(big.post("/v1/producer/topics/t", R"({"records":[{"value":")" + std::string(5000, 'x') + R"("}]})"), 413,
              "max_body_bytes");
  CHECK(big.closed_by_server());
  CHECK(latest_offset(*f.client, "t", 0) == 0);
}

TEST_CASE("consume: records come back as strings with every field, and NextOffset drives the next fetch",
          "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "c", 1);
  REQUIRE(f.client
              ->post("/v1/producer/topics/c", R"({"records":[
      {"key":"k0","value":"plain"},{"value":5},{"value":3.14},{"value":{"a":[1,"b"]}},{"key":{"id":1},"value":[true,null]}]})")
              .result_int() == 200);
  auto r = f.client->get("/v1/consumer/topics/c/partitions/0/offsets/0?count=3");
  REQUIRE(r.result_int() == 200);
  CHECK(r["NextOffset"] == "3");
  auto records = json_of(r).at("records").as_array();
  REQUIRE(records.size() == 3);
  auto first = records[0].as_object();
  CHECK(first.at("key").as_string() == "k0");
  CHECK(first.at("value").as_string() == "plain");
  CHECK(first.at("partition").as_int64() == 0);
  CHECK(first.at("offset").as_int64() == 0);
  CHECK(first.at("timestamp").as_int64() > 1600000000000);
  CHECK(first.at("timestampType").as_string() == "CreateTime");
  CHECK(records[1].at("key").is_null());
  CHECK(records[1].at("value").as_string() == "5");
  CHECK(records[2].at("value").as_string() == "3.14");

  auto next = f.client->get("/v1/consumer/topics/c/partitions/0/offsets/" + std::string(r["NextOffset"]) + "?count=10");
  CHECK(next["NextOffset"] == "5");
  auto rest = json_of(next).at("records").as_array();
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].at("value").as_string() == R"({"a":[1,"b"]})");
  CHECK(rest[1].at("key").as_string() == R"({"id":1})");
  CHECK(rest[1].at("value").as_string() == "[true,null]");

  auto one = f.client->get("/v1/consumer/topics/c/partitions/0/offsets/1");  // count defaults to 1
  CHECK(json_of(one).at("records").as_array().size() == 1);
  CHECK(one["NextOffset"] == "2");
}

TEST_CASE("consume: at or past the end is 200 with no records and NextOffset = the offset asked",
          "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "c", 1);
  for (const char* offset : {"0", "7", "9223372036854775807"}) {
    auto r = f.client->get(std::string("/v1/consumer/topics/c/partitions/0/offsets/") + offset + "?count=5");
    REQUIRE(r.result_int() == 200);
    CHECK(json_of(r).at("records").as_array().empty());
    CHECK(r["NextOffset"] == offset);
  }
}

TEST_CASE("consume: pages asked for at once and out of order each come back whole, as a windowed client reads",
          "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "w", 1);
  constexpr int kPages = 12, kPage = 200;
  for (int page = 0; page < kPages; ++page) {
    std::string body = R"({"records":[)";
    for (int i = 0; i < kPage; ++i)
      body += (i ? "," : "") + std::string(R"({"value":"v)") + std::to_string(page * kPage + i) + "\"}";
    REQUIRE(f.client->post("/v1/producer/topics/w", body + "]}").result_int() == 200);
  }
  // Four clients, each with its own connection, ask for the pages of a window of four at once, the
  // later pages first; then the next window. Twice over, so that the second pass starts behind.
  std::vector<HttpsClient> clients;
  for (int c = 0; c < 4; ++c) clients.push_back(f.connect());
  for (int pass = 0; pass < 2; ++pass)
    for (int window = 0; window < kPages; window += 4) {
      std::vector<std::string> problems(4);
      std::vector<std::thread> threads;
      for (int c = 0; c < 4; ++c)
        threads.emplace_back([&, c] {
          const int page = window + 3 - c;
          const int start = page * kPage;
          auto r = clients[c].get("/v1/consumer/topics/w/partitions/0/offsets/" + std::to_string(start) +
                                  "?count=" + std::to_string(kPage));
          if (r.result_int() != 200) return void(problems[c] = "status " + std::to_string(r.result_int()));
          auto records = json_of(r).at("records").as_array();
          if (records.size() != kPage || r["NextOffset"] != std::to_string(start + kPage))
            return void(problems[c] = std::to_string(records.size()) + " records, NextOffset " +
                                      std::string(r["NextOffset"]));
          for (int i = 0; i < kPage; ++i)
            if (records[i].at("offset").as_int64() != start + i ||
                records[i].at("value").as_string() != "v" + std::to_string(start + i))
              return void(problems[c] = "record " + std::to_string(i) + ": " + json::serialize(records[i]));
        });
      for (auto& t : threads) t.join();
      for (int c = 0; c < 4; ++c) {
        INFO("pass " << pass << ", page " << window + 3 - c);
        CHECK(problems[c].empty());
        if (!problems[c].empty()) WARN(problems[c]);
      }
    }
}

TEST_CASE("consume: errors", "[integration][api]") {
  ProxyFixture f;
  create_topic(f, "c", 2);
  check_error(f.client->get("/v1/consumer/topics/nope/partitions/0/offsets/0"), 404, "not found");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/2/offsets/0"), 404, "has no partition 2");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/0/offsets/-1"), 400, "offset '-1'");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/0/offsets/abc"), 400, "offset 'abc'");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/0/offsets/99999999999999999999"), 400, "offset");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/0/offsets/0?count=0"), 400, "count '0'");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/0/offsets/0?count=-5"), 400, "count '-5'");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/0/offsets/0?count=ten"), 400, "count 'ten'");
  check_error(f.client->get("/v1/consumer/topics/c/partitions/0/offsets/0?count=3000000000"), 400, "count");
}

TEST_CASE("consume: a response holds at most 6 MB of data, but always one record", "[integration][api]") {
  ProxyFixture f;
  // librdkafka 2.0.2's mock cluster keeps only about 5 MB of each partition (older records are
  // dropped as by retention), and serves nothing of a partition holding a 7 MB record.
  if (untested_on_kafka(f, "the 6 MB cap (the mock keeps about 5 MB per partition)")) return;
  create_topic(f, "big", 1, R"({"max.message.bytes":8000000})");
  const std::string mb(1'100'000, 'm');
  for (int i = 0; i < 7; ++i)
    REQUIRE(f.client->post("/v1/producer/topics/big", R"({"records":[{"value":")" + mb + R"("}]})").result_int() ==
            200);
  auto r = f.client->get("/v1/consumer/topics/big/partitions/0/offsets/0?count=100");
  CHECK(json_of(r).at("records").as_array().size() == 5);  // 5 x 1.1 MB fits in 6 MiB, 6 would not
  CHECK(r["NextOffset"] == "5");
  REQUIRE(
      f.client->post("/v1/producer/topics/big", R"({"records":[{"value":")" + std::string(7'000'000, 'h') + R"("}]})")
          .result_int() == 200);
  auto huge = f.client->get("/v1/consumer/topics/big/partitions/0/offsets/7?count=100");
  auto records = json_of(huge).at("records").as_array();
  REQUIRE(records.size() == 1);
  CHECK(records[0].at("value").as_string().size() == 7'000'000);
}

TEST_CASE("delete topic (krest extension): the topic and its data are gone", "[integration][api]") {
  ProxyFixture f;
  if (untested_on_kafka(f, "delete topic (the mock has no DeleteTopics API)")) return;
  create_topic(f, "doomed", 1);
  REQUIRE(f.client->post("/v1/producer/topics/doomed", R"({"records":[{"value":"x"}]})").result_int() == 200);
  auto r = f.client->del("/v1/topics/doomed");
  CHECK(r.result_int() == 200);
  check_error(f.client->get("/v1/metadata/topics/doomed/partitions"), 404, "not found");
  check_error(f.client->del("/v1/topics/doomed"), 404, "not found");
  CHECK(json_of(f.client->get("/v1/metadata/topics")).at("topics").as_array().empty());
  CHECK_FALSE(std::filesystem::exists(f.dir / "data" / "topics" / "doomed"));
  create_topic(f, "doomed", 1);  // the name can be used again, empty
  CHECK(latest_offset(*f.client, "doomed", 0) == 0);
}

TEST_CASE("unknown paths are 404 and wrong methods 405 with Allow", "[integration][api]") {
  ProxyFixture f;
  check_error(f.client->get("/v2/status"), 404, "no such path");
  check_error(f.client->get("/v1/topics"), 404, "no such path");
  check_error(f.client->get("/"), 404, "no such path");
  auto r = f.client->post("/v1/metadata/topics", "{}");
  check_error(r, 405, "POST is not allowed");
  CHECK(r[http::field::allow] == "GET");
  auto g = f.client->get("/v1/topics/x");
  check_error(g, 405, "GET is not allowed");
  CHECK(g[http::field::allow] == "PUT, DELETE");
}

TEST_CASE("data survives a clean restart", "[integration][api]") {
  std::optional<ProxyFixture> first;
  first.emplace();
  create_topic(*first, "keep", 2);
  REQUIRE(first->client
              ->post("/v1/producer/topics/keep",
                     R"({"records":[{"value":"a","partition":1},{"value":"b","partition":1}]})")
              .result_int() == 200);
  CHECK(first->proxy.terminate() == 0);
  // A new proxy process on the same data: the embedded log's directory, or the same Kafka cluster.
  std::vector<std::string> args;
  if (first->kafka)
    args = {"--backend", "kafka", "--kafka-bootstrap-servers", first->kafka->bootstrap()};
  ProxyProcess proxy(first->dir / "data", args);
  auto c = proxy.client();
  auto records = json_of(c.get("/v1/consumer/topics/keep/partitions/1/offsets/0?count=10")).at("records").as_array();
  REQUIRE(records.size() == 2);
  CHECK(records[1].at("value").as_string() == "b");
  CHECK(c.post("/v1/producer/topics/keep", R"({"records":[{"value":"c","partition":1}]})").body() ==
        R"({"offsets":[{"partition":1,"offset":2}]})");
}
