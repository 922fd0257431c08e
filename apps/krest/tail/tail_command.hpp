#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cli/connection.hpp"

namespace krest::cli {

struct TailOptions {
  std::string topic;
  std::vector<std::int32_t> partitions;  // empty: all, and those added later
  std::string from = "latest";           // beginning|earliest, end|latest, OFFSET, -N
  std::string checkpoint;
  std::int64_t checkpoint_interval_ms = 1000;
  std::string output = "-";
  std::string format = "ndjson";
  bool exit_at_end = false;
  std::int64_t max_records = 0;  // 0: no limit
  double stats_interval_s = 0;
  std::int64_t metrics_port = -1;  // -1: none; 0: any free port
  std::string metrics_address = "127.0.0.1";
  std::string window = "auto";     // per partition: auto | auto:N | N
  std::string in_flight = "auto";  // over all partitions
  std::int64_t fetch_records = 0;  // 0: auto
};


}  // namespace krest::cli
