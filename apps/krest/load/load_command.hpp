#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cli/connection.hpp"
#include "load/record_format.hpp"

namespace krest::cli {

struct LoadOptions {
  std::vector<std::string> inputs;  // files, "-" for stdin
  std::string topic;
  FormatOptions format;
  std::string partitioner = "key";  // key | round-robin
  std::int64_t partition = -1;      // every record to this partition
  double rate = 0;                  // records/s; 0: as fast as the proxy takes them
  std::string checkpoint;
  std::string reject_file = "krest-load-rejects.ndjson";
  std::string progress = "auto";  // auto | always | never
  bool json_summary = false;
  std::int64_t max_line_bytes = 8 << 20;
  std::int64_t batch_records = 0;  // 0: auto (ProducerOptions::batch_records)
  std::int64_t batch_bytes = 1 << 20;
  std::int64_t linger_ms = 5;
  std::string in_flight = "auto";  // auto | auto:N | N
  std::int64_t buffer_mb = 16;
};


}  // namespace krest::cli
