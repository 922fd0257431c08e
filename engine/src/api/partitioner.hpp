#pragma once
// Kafka's default partitioner for keyed records, bit for bit: (murmur2(key) & 0x7fffffff) % partitions,
// so a key lands where a Java client or librdkafka's murmur2 partitioner would put it.
#include <cstdint>
#include <string_view>

namespace krest::api {

std::int32_t murmur2(std::string_view data);
std::int32_t partition_for_key(std::string_view key, std::int32_t partitions);

}  // namespace krest::api
