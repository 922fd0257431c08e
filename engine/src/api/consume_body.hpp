#pragma once
// GET /v1/consumer/topics/{t}/partitions/{p}/offsets/{o}?count=n
// 200 {"records":[{"key":string|null,"value":string,"partition":p,"offset":o,"timestamp":ms,
//                  "timestampType":"CreateTime"}, ...]} with header NextOffset.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krest/consumed_record.hpp"

namespace krest::api {

// The published limit: a consume response holds at most 6 MB of record data (keys and values),
// but always at least one record when one exists.
inline constexpr std::size_t kConsumeMaxBytes = 6 * 1024 * 1024;
inline constexpr const char* kNextOffsetHeader = "NextOffset";

struct ConsumedRecordView {
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::optional<std::string_view> key;
  std::string_view value;
  bool plain_json = false;  // the caller knows key and value hold nothing JSON escapes
  bool log_append_time = false;  // timestampType LogAppendTime instead of CreateTime
};

// Server side: writes the response body record by record.
class ConsumeBodyWriter {
 public:
  ConsumeBodyWriter(std::string& out, std::int32_t partition);
  void add(const ConsumedRecordView& r);
  void finish();

 private:
  void add_text(std::string_view s, bool plain);

  std::string& out_;
  std::string value_end_text_;  // ","partition":P,"offset":  the same for every record
  std::int64_t last_timestamp_ = -1;
  bool last_log_append_time_ = false;
  std::string timestamp_text_;  // ,"timestamp":T,"timestampType":"CreateTime"}  shared within a batch
  bool first_ = true;
};

using ConsumedRecord = krest::ConsumedRecord;

// Client side: accepts the {"records":[...]} object krest-proxy and HDInsight send, and the bare
// array the reference page shows. Returns an error message naming what was wrong, or nothing.
// `out` ends up holding exactly the body's records; records it held before may be written over
// (every field) to reuse their strings' memory.
std::optional<std::string> parse_consume_body(std::string_view body, std::vector<ConsumedRecord>& out);

// The two ways parse_consume_body() reads, apart, for tests that hold them to the same results:
// the JSON parser alone, and the fast path for ConsumeBodyWriter's exact layout (false, with `out`
// partly filled, where the body leaves that layout).
std::optional<std::string> parse_consume_body_generic(std::string_view body, std::vector<ConsumedRecord>& out);
bool parse_consume_body_exact(std::string_view body, std::vector<ConsumedRecord>& out);

}  // namespace krest::api
