#include "api/topic_spec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <limits>

namespace krest::api {
namespace json = boost::json;
namespace {

std::optional<std::string> read_count(const json::value& v, const char* name, std::optional<std::int32_t>& out) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_int64() && !v.is_uint64()) return std::string(name) + " must be an integer";
  if (!v.is_int64() || v.get_int64() < 1 || v.get_int64() > std::numeric_limits<std::int32_t>::max())
    return std::string(name) + " must be from 1 to 2147483647";
  out = static_cast<std::int32_t>(v.get_int64());
  return std::nullopt;
}

}  // namespace

std::variant<TopicSpec, std::string> parse_topic_spec(std::string_view body) {
  TopicSpec spec;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return spec;
  json::error_code ec;
  auto doc = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) return "malformed JSON: " + ec.message();
  const auto* obj = doc.if_object();
  if (!obj) return std::string("the body must be a JSON object");
  for (const auto& [name, v] : *obj) {
    if (name == "partition_count") {
      if (auto e = read_count(v, "partition_count", spec.partition_count)) return *e;
    } else if (name == "replication_factor") {
      if (auto e = read_count(v, "replication_factor", spec.replication_factor)) return *e;
    } else if (name == "topic_properties") {
      if (v.is_null()) continue;
      const auto* props = v.if_object();
      if (!props) return std::string("topic_properties must be an object");
      for (const auto& [pname, pv] : *props) {
        std::string key(pname);
        if (pv.is_string())
          spec.properties[key] = std::string(pv.get_string());
        else if (pv.is_int64() || pv.is_uint64() || pv.is_bool())
          spec.properties[key] = json::serialize(pv);
        else
          return "topic_properties." + key + " must be a string or an integer";
      }
    } else {
      return "unknown field '" + std::string(name) +
             "' (the body holds partition_count, replication_factor and topic_properties)";
    }
  }
  return spec;
}

std::string write_topic_spec(const TopicSpec& spec) {
  json::object obj;
  if (spec.partition_count) obj["partition_count"] = *spec.partition_count;
  if (spec.replication_factor) obj["replication_factor"] = *spec.replication_factor;
  json::object props;
  for (const auto& [k, v] : spec.properties) props[k] = v;
  obj["topic_properties"] = std::move(props);
  return json::serialize(obj);
}

}  // namespace krest::api
