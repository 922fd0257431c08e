#pragma once
// Owning handles for librdkafka objects, and the one place that builds a client configuration from
// krest's defaults plus the operator's properties.
#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/kafka/kafka_options.hpp"

namespace krest::proxy {

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafkaHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

struct RdKafkaMessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using RdKafkaMessage = std::unique_ptr<rd_kafka_message_t, RdKafkaMessageDeleter>;

struct RdKafkaPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using RdKafkaPartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaPartitionListDeleter>;

// A producer or consumer for `options`: bootstrap.servers, then `defaults`, then the operator's
// properties. `configure` may set callbacks on the conf before the client is made. Throws
// std::invalid_argument naming a property librdkafka refuses.
RdKafkaHandle make_rdkafka(rd_kafka_type_t type, const KafkaOptions& options,
                           const std::vector<std::pair<std::string, std::string>>& defaults,
                           void (*configure)(rd_kafka_conf_t*, void*) = nullptr, void* opaque = nullptr);

// Splits "key=value" properties; throws std::invalid_argument for one without '='.
std::vector<std::pair<std::string, std::string>> split_properties(const std::vector<std::string>& properties);

}  // namespace krest::proxy
