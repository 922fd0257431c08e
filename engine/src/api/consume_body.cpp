#include "api/consume_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/json_text.hpp"

namespace krest::api {

ConsumeBodyWriter::ConsumeBodyWriter(std::string& out, std::int32_t partition) : out_(out) {
  out_ += "{\"records\":[";
  value_end_text_ = "\",\"partition\":";
  append_int(value_end_text_, partition);
  value_end_text_ += ",\"offset\":";
}

void ConsumeBodyWriter::add_text(std::string_view s, bool plain) {
  if (plain)
    out_.append(s);
  else
    append_json_escaped(out_, s);
}

// Few, large appends per record: this runs for every record of every consume response.
void ConsumeBodyWriter::add(const ConsumedRecordView& r) {
  if (!first_) out_ += ',';
  first_ = false;
  if (r.key) {
    out_ += "{\"key\":\"";
    add_text(*r.key, r.plain_json);
    out_ += "\",\"value\":\"";
  } else {
    out_ += "{\"key\":null,\"value\":\"";
  }
  add_text(r.value, r.plain_json);
  out_ += value_end_text_;
  append_int(out_, r.offset);
  if (r.timestamp_ms != last_timestamp_) {
    last_timestamp_ = r.timestamp_ms;
    timestamp_text_ = ",\"timestamp\":";
    append_int(timestamp_text_, r.timestamp_ms);
    // The proxy stamps each record when it accepts it, as a Kafka producer in front of a cluster does.
    timestamp_text_ += ",\"timestampType\":\"CreateTime\"}";
  }
  out_ += timestamp_text_;
}

void ConsumeBodyWriter::finish() { out_ += "]}"; }

namespace {

std::optional<std::string> read_record(const boost::json::value& v, std::size_t i, ConsumedRecord& r) {
  auto where = [&](const char* field) { return "records[" + std::to_string(i) + "]." + field; };
  const auto* obj = v.if_object();
  if (!obj) return "records[" + std::to_string(i) + "] is not an object";
  auto int_field = [&](const char* name, auto& out) -> std::optional<std::string> {
    const auto* f = obj->if_contains(name);
    if (!f || !f->is_number()) return where(name) + " is missing or not a number";
    boost::json::error_code ec;
    out = f->to_number<std::remove_reference_t<decltype(out)>>(ec);
    if (ec) return where(name) + " is out of range";
    return std::nullopt;
  };
  if (auto e = int_field("partition", r.partition)) return e;
  if (auto e = int_field("offset", r.offset)) return e;
  if (const auto* ts = obj->if_contains("timestamp"); ts && ts->is_number()) {
    boost::json::error_code ec;
    r.timestamp_ms = ts->to_number<std::int64_t>(ec);
  }
  if (const auto* tt = obj->if_contains("timestampType"); tt && tt->is_string())
    r.timestamp_type = std::string(tt->get_string());
  const auto* value = obj->if_contains("value");
  if (!value || !value->is_string()) return where("value") + " is missing or not a string";
  r.value = std::string(value->get_string());
  if (const auto* key = obj->if_contains("key"); key && !key->is_null()) {
    if (!key->is_string()) return where("key") + " is not a string or null";
    r.key = std::string(key->get_string());
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_consume_body(std::string_view body, std::vector<ConsumedRecord>& out) {
  boost::json::error_code ec;
  auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (ec) return "malformed JSON in consume response: " + ec.message();
  const boost::json::array* records = doc.if_array();
  if (!records) {
    const auto* obj = doc.if_object();
    const auto* field = obj ? obj->if_contains("records") : nullptr;
    records = field ? field->if_array() : nullptr;
  }
  if (!records) return "consume response holds neither {\"records\": [...]} nor an array";
  out.clear();
  out.reserve(records->size());
  for (std::size_t i = 0; i < records->size(); ++i) {
    if (auto e = read_record((*records)[i], i, out.emplace_back())) return e;
  }
  return std::nullopt;
}

}  // namespace krest::api
