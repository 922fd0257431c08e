#include <librdkafka/rdkafka.h>
#include <catch2/catch.hpp>

#include <random>

#include "api/partitioner.hpp"

using krest::api::murmur2;
using krest::api::partition_for_key;

TEST_CASE("murmur2 matches Kafka's own test vectors (Utils.murmur2)", "[unit][api]") {
  CHECK(murmur2("21") == -973932308);
  CHECK(murmur2("foobar") == -790332482);
  CHECK(murmur2("a-little-bit-long-string") == -985981536);
  CHECK(murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(murmur2("abc") == 479470107);
}

TEST_CASE("keyed records land where librdkafka's murmur2 partitioner puts them", "[unit][api]") {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string key(rng() % 40, '\0');
    for (auto& c : key) c = static_cast<char>(rng());
    for (int partitions : {1, 2, 3, 7, 64}) {
      auto theirs = rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions, nullptr, nullptr);
      if (key.empty()) continue;  // librdkafka sends empty keys to a random partition
      INFO("key length " << key.size() << ", partitions " << partitions);
      REQUIRE(partition_for_key(key, partitions) == theirs);
    }
  }
}
