#include "storage/record_placement.hpp"

#include "api/partitioner.hpp"

namespace krest::proxy {

std::vector<api::RecordPosition> place_records(const std::string& topic, const api::ProduceBody& body,
                                               std::int32_t partitions, std::int32_t sticky) {
  std::vector<api::RecordPosition> positions(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto& r = body.record(i);
    std::int32_t p = sticky;
    if (r.partition) {
      if (*r.partition >= partitions)
        throw ProxyError(ErrorKind::bad_request, "records[" + std::to_string(i) + "].partition " +
                                                     std::to_string(*r.partition) + " is out of range: topic '" +
                                                     topic + "' has " + std::to_string(partitions) + " partition(s)");
      p = *r.partition;
    } else if (r.has_key) {
      p = api::partition_for_key(body.key(r), partitions);
    }
    positions[i].partition = p;
  }
  return positions;
}

ProxyError no_such_partition(const std::string& topic, std::int32_t partition, std::size_t partitions) {
  return ProxyError(ErrorKind::not_found, "topic '" + topic + "' has no partition " + std::to_string(partition) +
                                              " (it has " + std::to_string(partitions) + ")");
}

}  // namespace krest::proxy
