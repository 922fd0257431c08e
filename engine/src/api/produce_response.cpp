#include "api/produce_response.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/json_text.hpp"

namespace krest::api {

std::string write_produce_response(const std::vector<RecordPosition>& positions) {
  std::string out;
  out.reserve(16 + positions.size() * 36);
  out += "{\"offsets\":[";
  for (std::size_t i = 0; i < positions.size(); ++i) {
    out += i ? ",{\"partition\":" : "{\"partition\":";
    append_int(out, positions[i].partition);
    out += ",\"offset\":";
    append_int(out, positions[i].offset);
    out += '}';
  }
  out += "]}";
  return out;
}

bool parse_produce_response(std::string_view body, std::size_t records, std::vector<RecordPosition>& out) {
  out.clear();
  boost::json::error_code ec;
  auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (ec || !doc.is_object()) return false;
  const auto* offsets = doc.get_object().if_contains("offsets");
  if (!offsets || !offsets->is_array() || offsets->get_array().size() != records) return false;
  out.reserve(records);
  for (const auto& entry : offsets->get_array()) {
    const auto* obj = entry.if_object();
    const auto* p = obj ? obj->if_contains("partition") : nullptr;
    const auto* o = obj ? obj->if_contains("offset") : nullptr;
    if (!p || !o || !p->is_int64() || !o->is_int64()) return false;
    const std::int64_t partition = p->get_int64();
    if (partition < 0 || partition > INT32_MAX || o->get_int64() < 0) return false;
    out.push_back({static_cast<std::int32_t>(partition), o->get_int64()});
  }
  return true;
}

}  // namespace krest::api
