#pragma once
// Where each record of a produce request goes, the same on every backend so that a topic's keys
// land alike on the embedded log and on Kafka: an explicit partition where asked, a keyed record
// by murmur2 (Kafka's Java partitioner), keyless records of one request together on `sticky`.
#include <cstdint>
#include <string>
#include <vector>

#include "api/produce_body.hpp"
#include "api/produce_response.hpp"
#include "proxy_error.hpp"

namespace krest::proxy {

// One position per record with its partition set (offsets to be filled by the backend). Throws
// ProxyError(bad_request) naming the first record whose partition is out of range.
std::vector<api::RecordPosition> place_records(const std::string& topic, const api::ProduceBody& body,
                                               std::int32_t partitions, std::int32_t sticky);

// The 404 for a partition the topic does not have.
ProxyError no_such_partition(const std::string& topic, std::int32_t partition, std::size_t partitions);

}  // namespace krest::proxy
