#pragma once
// POST /v1/producer/topics/{topic}: {"records":[{"key":K,"partition":P,"value":V},...]}
//
// One parser (server side) and one writer (client side) for the produce body. Values and keys may be
// any JSON value; they are reduced to their stored form right here: a JSON string becomes its
// characters, anything else its compact text, with numbers kept exactly as written (no reformatting
// of 3.14 or of integers wider than 64 bits).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krest::api {

struct ProduceRecord {
  std::optional<std::int32_t> partition;
  bool has_key = false;
  std::uint32_t key_pos = 0, key_len = 0;
  std::uint32_t value_pos = 0, value_len = 0;
};

class ProduceBody {
 public:
  std::size_t size() const { return records_.size(); }
  const ProduceRecord& record(std::size_t i) const { return records_[i]; }
  std::string_view key(const ProduceRecord& r) const { return {arena_.data() + r.key_pos, r.key_len}; }
  std::string_view value(const ProduceRecord& r) const { return {arena_.data() + r.value_pos, r.value_len}; }
  // Bytes of keys and values together: what a record costs in the log.
  std::size_t payload_bytes(const ProduceRecord& r) const { return r.key_len + r.value_len; }

  std::vector<ProduceRecord> records_;
  std::string arena_;  // stored forms of every key and value, back to back
};

struct ProduceParseError {
  enum class Kind { malformed, too_many_records } kind;
  std::string message;  // names the field, e.g. "records[3].partition must be an integer"
};

// Parses a whole produce body. Returns the error, or nothing when `out` holds the records.
std::optional<ProduceParseError> parse_produce_body(std::string_view body, std::size_t max_records, ProduceBody& out);

// Client side. A body is kProduceBodyBegin, records separated by commas, kProduceBodyEnd.
inline constexpr std::string_view kProduceBodyBegin = "{\"records\":[";
inline constexpr std::string_view kProduceBodyEnd = "]}";

// Appends one record object, {"partition":P,"key":K,"value":V}. A key or value marked JSON is JSON
// text written as it is; otherwise it is a string, quoted and escaped here.
void append_produce_record(std::string& out, std::optional<std::string_view> key, bool key_json,
                           std::string_view value, bool value_json, std::optional<std::int32_t> partition);

// Writes records one by one straight into a request body under construction.
// `key_json`/`value_json` are JSON texts already (e.g. a quoted string), written as they are.
class ProduceBodyWriter {
 public:
  explicit ProduceBodyWriter(std::string& out);
  void add_string_record(std::optional<std::string_view> key, std::string_view value,
                         std::optional<std::int32_t> partition = std::nullopt);
  void add_json_record(std::optional<std::string_view> key_json, std::string_view value_json,
                       std::optional<std::int32_t> partition = std::nullopt);
  void finish();
  std::size_t records() const { return count_; }

 private:
  std::string& out_;
  std::size_t count_ = 0;
};

}  // namespace krest::api
