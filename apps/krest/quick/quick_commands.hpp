#pragma once
// krest produce and krest consume: a few records in or out, for quick work and scripts.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/connection.hpp"

namespace krest::cli {

struct ProduceOptions {
  std::string topic;
  std::vector<std::string> values;  // none: one record per stdin line
  std::string key;
  bool has_key = false;
  std::string key_delimiter;  // stdin lines: KEY<delim>VALUE
  std::int64_t partition = -1;
  bool json_values = false;  // values are JSON text
  bool json = false;         // print results as JSON
};

struct ConsumeOptions {
  std::string topic;
  std::int64_t partition = 0;
  std::string offset = "earliest";  // earliest | latest | OFFSET
  std::int64_t count = 10;
  std::string format = "ndjson";
};


}  // namespace krest::cli
