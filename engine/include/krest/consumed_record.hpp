#pragma once
// One record as a consume response gives it: key and value in their stored form.
#include <cstdint>
#include <optional>
#include <string>

namespace krest {

struct ConsumedRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::string timestamp_type;  // "CreateTime" or "LogAppendTime"
  std::optional<std::string> key;
  std::string value;

  bool operator==(const ConsumedRecord&) const = default;
};

}  // namespace krest
