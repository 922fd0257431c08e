#pragma once
// PUT /v1/topics/{topic} body: {"partition_count":int32,"replication_factor":int32,"topic_properties":{...}}
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace krest::api {

struct TopicSpec {
  std::optional<std::int32_t> partition_count;
  std::optional<std::int32_t> replication_factor;
  // Kafka topic configs. The documentation's own sample sends numbers and strings alike
  // ("retention.ms": 604800000, "min.insync.replicas": "1"); both are kept as text.
  std::map<std::string, std::string> properties;
};

// An empty body means "all defaults". Returns an error message naming the field, or the spec.
std::variant<TopicSpec, std::string> parse_topic_spec(std::string_view body);

std::string write_topic_spec(const TopicSpec& spec);

}  // namespace krest::api
