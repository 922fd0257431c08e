#pragma once
// Metadata shapes: BrokerEndpoint {"hostName","port","id","rack"}, PartitionMetadata
// {"partition_id","earliest_offset","latest_offset","leader","replicas","isr"}, topic lists.
// The mixed snake_case and camelCase names are the API's own; keep them exactly.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace krest::api {

struct BrokerEndpoint {
  std::string host_name;
  std::int32_t port = 0;
  std::int32_t id = 0;
  std::optional<std::string> rack;
};

struct PartitionMetadata {
  std::int32_t partition_id = 0;
  std::int64_t earliest_offset = 0;
  std::int64_t latest_offset = 0;  // the high-water mark: the offset the next record gets
  BrokerEndpoint leader;
  std::vector<BrokerEndpoint> replicas;
  std::vector<BrokerEndpoint> isr;
};

std::string write_brokers(const std::vector<BrokerEndpoint>& brokers);
std::string write_topic_list(const std::vector<std::string>& topics);
std::string write_partition(const PartitionMetadata& p);
// `properties`: the topic's properties as created, a krest-proxy extension ("topic_properties");
// null leaves the field out.
std::string write_partitions(const std::string& topic, const std::vector<PartitionMetadata>& ps,
                             const std::map<std::string, std::string>* properties = nullptr);

// Client side. Each returns the value, or an error message naming what was wrong.
std::variant<std::vector<BrokerEndpoint>, std::string> parse_brokers(std::string_view body);
std::variant<std::vector<std::string>, std::string> parse_topic_list(std::string_view body);
std::variant<PartitionMetadata, std::string> parse_partition(std::string_view body);
std::variant<std::vector<PartitionMetadata>, std::string> parse_partitions(std::string_view body);
// The "topic_properties" of a partitions answer; none when the proxy does not report them (or
// reports them in another shape).
std::optional<std::map<std::string, std::string>> parse_topic_properties(std::string_view body);

}  // namespace krest::api
