#include "api/metadata_body.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace krest::api {
namespace json = boost::json;
namespace {

json::value to_json(const BrokerEndpoint& b) {
  json::object o;
  o["hostName"] = b.host_name;
  o["port"] = b.port;
  o["id"] = b.id;
  o["rack"] = b.rack ? json::value(*b.rack) : json::value(nullptr);
  return o;
}

json::value to_json(const PartitionMetadata& p) {
  json::object o;
  o["partition_id"] = p.partition_id;
  o["earliest_offset"] = p.earliest_offset;
  o["latest_offset"] = p.latest_offset;
  o["leader"] = to_json(p.leader);
  json::array replicas, isr;
  for (const auto& b : p.replicas) replicas.push_back(to_json(b));
  for (const auto& b : p.isr) isr.push_back(to_json(b));
  o["replicas"] = std::move(replicas);
  o["isr"] = std::move(isr);
  return o;
}

}  // namespace

std::string write_brokers(const std::vector<BrokerEndpoint>& brokers) {
  json::array a;
  for (const auto& b : brokers) a.push_back(to_json(b));
  return json::serialize(json::object{{"brokers", std::move(a)}});
}

std::string write_topic_list(const std::vector<std::string>& topics) {
  json::array a;
  for (const auto& t : topics) a.push_back(json::string(t));
  return json::serialize(json::object{{"topics", std::move(a)}});
}

std::string write_partition(const PartitionMetadata& p) { return json::serialize(to_json(p)); }

std::string write_partitions(const std::string& topic, const std::vector<PartitionMetadata>& ps) {
  json::array a;
  for (const auto& p : ps) a.push_back(to_json(p));
  return json::serialize(json::object{{"topic", topic}, {"partitions", std::move(a)}});
}

}  // namespace krest::api
