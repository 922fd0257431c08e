// kill -9 in the middle of a stream of produce requests: after a restart every acknowledged record
// is at the offset that was returned, the log has no gaps, and nothing that was never sent is served.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include "support/proxy_fixture.hpp"

using namespace krest::test;

namespace {

struct Acked {
  std::mutex mu;
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> at;  // (partition, offset) -> value
};

// Sends batches until the proxy dies. Values are "w<writer>-<seq>-<padding>": recognisable, unique.
void produce_until_killed(const ProxyProcess& proxy, int writer, Acked& acked, std::atomic<std::uint64_t>& sent) {
  std::mt19937 rng(static_cast<unsigned>(writer));
  try {
    auto c = proxy.client(5000);
    for (std::uint64_t seq = 0;; ++seq) {
      std::vector<std::string> values;
      std::string body = R"({"records":[)";
      const int n = 1 + static_cast<int>(rng() % 40);
      for (int i = 0; i < n; ++i) {
        values.push_back("w" + std::to_string(writer) + "-" + std::to_string(seq) + "-" + std::to_string(i) + "-" +
                         std::string(rng() % 300, 'p'));
        body += (i ? "," : "") + std::string(R"({"key":"k)") + std::to_string(rng() % 97) + R"(","value":")" +
                values.back() + "\"}";
      }
      body += "]}";
      sent += static_cast<std::uint64_t>(n);
      auto r = c.post("/v1/producer/topics/crash", body);
      if (r.result_int() != 200) return;
      auto offsets = json_of(r).at("offsets").as_array();
      std::lock_guard lock(acked.mu);
      for (std::size_t i = 0; i < offsets.size(); ++i)
        acked.at[{offsets[i].at("partition").as_int64(), offsets[i].at("offset").as_int64()}] = values[i];
    }
  } catch (const std::exception&) {
    // The proxy was killed: the request in flight is unacknowledged, which is the point.
  }
}

void check_log_after_crash(const ProxyProcess& proxy, Acked& acked, int partitions) {
  auto c = proxy.client();
  static const std::regex kSent(R"(^w\d+-\d+-\d+-p*$)");
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> served;
  for (int p = 0; p < partitions; ++p) {
    std::int64_t offset = 0;
    for (;;) {
      auto r = c.get("/v1/consumer/topics/crash/partitions/" + std::to_string(p) + "/offsets/" +
                     std::to_string(offset) + "?count=5000");
      REQUIRE(r.result_int() == 200);
      auto records = json_of(r).at("records").as_array();
      if (records.empty()) break;
      for (const auto& rec : records) {
        const auto o = rec.at("offset").as_int64();
        REQUIRE(o == offset);  // no gaps, in order
        std::string value(rec.at("value").as_string());
        // Whatever is served was sent by a writer, whole (an unacknowledged request may be there).
        INFO("partition " << p << " offset " << o << ": " << value.substr(0, 80));
        REQUIRE(std::regex_match(value, kSent));
        served[{p, o}] = std::move(value);
        ++offset;
      }
      REQUIRE(r["NextOffset"] == std::to_string(offset));
    }
  }
  // Every acknowledged record is at the offset it was given, with its value.
  for (const auto& [pos, value] : acked.at) {
    INFO("acknowledged partition " << pos.first << " offset " << pos.second);
    auto it = served.find(pos);
    REQUIRE(it != served.end());
    REQUIRE(it->second == value);
  }
}

}  // namespace

TEST_CASE("kill -9 during a produce stream loses no acknowledged record and serves nothing torn",
          "[integration][fault]") {
  const auto durability = GENERATE(std::string("fsync"), std::string("interval"), std::string("none"));
  INFO("durability " << durability);
  TempDir dir;
  Acked acked;
  constexpr int kPartitions = 3;
  for (int round = 0; round < 3; ++round) {
    ProxyProcess proxy(dir / "data", {"--durability", durability, "--default-segment-bytes", "65536"});
    if (round == 0) {
      auto admin = proxy.client();
      REQUIRE(admin.put("/v1/topics/crash", R"({"partition_count":3})").result_int() == 200);
    } else {
      check_log_after_crash(proxy, acked, kPartitions);
    }
    std::atomic<std::uint64_t> sent{0};
    proxy.bearer();  // fetched here, once, before the writer threads share it
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w)
      writers.emplace_back(produce_until_killed, std::cref(proxy), round * 10 + w, std::ref(acked), std::ref(sent));
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + 300 * round));
    proxy.kill9();
    for (auto& t : writers) t.join();
    INFO("round " << round << ": " << acked.at.size() << " acknowledged of " << sent.load() << " sent");
    REQUIRE(acked.at.size() > 0);
  }
  ProxyProcess proxy(dir / "data", {"--durability", durability});
  check_log_after_crash(proxy, acked, kPartitions);
}
