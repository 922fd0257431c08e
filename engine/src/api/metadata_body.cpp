#include "api/metadata_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <optional>

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

// Reading: each helper fills `out` or returns what was wrong, prefixed with where.
using Problem = std::optional<std::string>;

template <class Int>
Problem read_int(const json::object& o, const char* name, const std::string& where, Int& out) {
  const auto* f = o.if_contains(name);
  if (!f || !f->is_number()) return where + name + " is missing or not a number";
  json::error_code ec;
  out = f->to_number<Int>(ec);
  if (ec) return where + name + " is out of range";
  return std::nullopt;
}

Problem read_broker(const json::value& v, const std::string& where, BrokerEndpoint& out) {
  const auto* o = v.if_object();
  if (!o) return where + " is not an object";
  const auto* host = o->if_contains("hostName");
  if (!host || !host->is_string()) return where + ".hostName is missing or not a string";
  out.host_name = std::string(host->get_string());
  if (auto e = read_int(*o, "port", where + ".", out.port)) return e;
  if (auto e = read_int(*o, "id", where + ".", out.id)) return e;
  if (const auto* rack = o->if_contains("rack"); rack && rack->is_string()) out.rack = std::string(rack->get_string());
  return std::nullopt;
}

Problem read_brokers(const json::object& o, const char* name, const std::string& where,
                     std::vector<BrokerEndpoint>& out) {
  const auto* f = o.if_contains(name);
  if (!f) return std::nullopt;  // optional in what other proxies send
  if (!f->is_array()) return where + name + " is not an array";
  for (std::size_t i = 0; i < f->get_array().size(); ++i)
    if (auto e = read_broker(f->get_array()[i], where + name + "[" + std::to_string(i) + "]", out.emplace_back()))
      return e;
  return std::nullopt;
}

Problem read_partition(const json::value& v, const std::string& where, PartitionMetadata& out) {
  const auto* o = v.if_object();
  if (!o) return (where.empty() ? std::string("the body") : where) + " is not an object";
  const std::string prefix = where.empty() ? "" : where + ".";
  if (auto e = read_int(*o, "partition_id", prefix, out.partition_id)) return e;
  if (auto e = read_int(*o, "earliest_offset", prefix, out.earliest_offset)) return e;
  if (auto e = read_int(*o, "latest_offset", prefix, out.latest_offset)) return e;
  if (const auto* leader = o->if_contains("leader"); leader && !leader->is_null())
    if (auto e = read_broker(*leader, prefix + "leader", out.leader)) return e;
  if (auto e = read_brokers(*o, "replicas", prefix, out.replicas)) return e;
  if (auto e = read_brokers(*o, "isr", prefix, out.isr)) return e;
  return std::nullopt;
}

std::variant<json::value, std::string> parse_json(std::string_view body) {
  json::error_code ec;
  auto doc = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) return "malformed JSON: " + ec.message();
  return doc;
}

// The array under `name` of an object body.
std::variant<const json::array*, std::string> array_field(const json::value& doc, const char* name) {
  const auto* o = doc.if_object();
  const auto* f = o ? o->if_contains(name) : nullptr;
  if (!f || !f->is_array()) return std::string("expected {\"") + name + "\": [...]}";
  return &f->get_array();
}

}  // namespace

std::variant<std::vector<BrokerEndpoint>, std::string> parse_brokers(std::string_view body) {
  auto doc = parse_json(body);
  if (auto* e = std::get_if<std::string>(&doc)) return *e;
  auto arr = array_field(std::get<json::value>(doc), "brokers");
  if (auto* e = std::get_if<std::string>(&arr)) return *e;
  std::vector<BrokerEndpoint> out;
  for (std::size_t i = 0; i < std::get<0>(arr)->size(); ++i)
    if (auto e = read_broker((*std::get<0>(arr))[i], "brokers[" + std::to_string(i) + "]", out.emplace_back()))
      return *e;
  return out;
}

std::variant<std::vector<std::string>, std::string> parse_topic_list(std::string_view body) {
  auto doc = parse_json(body);
  if (auto* e = std::get_if<std::string>(&doc)) return *e;
  auto arr = array_field(std::get<json::value>(doc), "topics");
  if (auto* e = std::get_if<std::string>(&arr)) return *e;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::get<0>(arr)->size(); ++i) {
    const auto& v = (*std::get<0>(arr))[i];
    if (!v.is_string()) return "topics[" + std::to_string(i) + "] is not a string";
    out.emplace_back(v.get_string());
  }
  return out;
}

std::variant<PartitionMetadata, std::string> parse_partition(std::string_view body) {
  auto doc = parse_json(body);
  if (auto* e = std::get_if<std::string>(&doc)) return *e;
  PartitionMetadata out;
  if (auto e = read_partition(std::get<json::value>(doc), "", out)) return *e;
  return out;
}

std::variant<std::vector<PartitionMetadata>, std::string> parse_partitions(std::string_view body) {
  auto doc = parse_json(body);
  if (auto* e = std::get_if<std::string>(&doc)) return *e;
  auto arr = array_field(std::get<json::value>(doc), "partitions");
  if (auto* e = std::get_if<std::string>(&arr)) return *e;
  std::vector<PartitionMetadata> out;
  for (std::size_t i = 0; i < std::get<0>(arr)->size(); ++i)
    if (auto e = read_partition((*std::get<0>(arr))[i], "partitions[" + std::to_string(i) + "]", out.emplace_back()))
      return *e;
  return out;
}

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

std::string write_partitions(const std::string& topic, const std::vector<PartitionMetadata>& ps,
                             const std::map<std::string, std::string>* properties) {
  json::array a;
  for (const auto& p : ps) a.push_back(to_json(p));
  json::object doc{{"topic", topic}, {"partitions", std::move(a)}};
  if (properties) {
    json::object props;
    for (const auto& [name, value] : *properties) props[name] = value;
    doc["topic_properties"] = std::move(props);
  }
  return json::serialize(doc);
}

std::optional<std::map<std::string, std::string>> parse_topic_properties(std::string_view body) {
  auto doc = parse_json(body);
  const auto* v = std::get_if<json::value>(&doc);
  const auto* o = v ? v->if_object() : nullptr;
  const auto* field = o ? o->if_contains("topic_properties") : nullptr;
  const auto* props = field ? field->if_object() : nullptr;
  if (!props) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : *props) {
    if (value.is_string())
      out.emplace(name, value.get_string());
    else
      out.emplace(name, json::serialize(value));
  }
  return out;
}

}  // namespace krest::api
