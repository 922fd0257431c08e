#pragma once
// What one `krest bench` run measured, and what it was: enough to print it, draw it, compare it
// with other runs and merge it with runs made at the same time elsewhere (bench_json writes and
// reads it back whole).
#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_timeline.hpp"
#include "bench/latency_histogram.hpp"

namespace krest::cli {

// The percentiles every table, report and JSON result shows, and their names.
inline constexpr const char* kQuantileNames[] = {"p50", "p90", "p99", "p99.9", "max"};
inline constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999, 1.0};

struct BenchInfo {
  std::string mode;  // produce | consume | mixed; merged runs of different modes join them with '+'
  std::string topic;
  std::string endpoint;
  std::string krest_version;
  std::string command_line;
  std::string host;
  std::string cpu;                 // model, and how many
  std::int64_t start_unix_ms = 0;  // wall clock when the first request was due
  std::int64_t batch = 0;          // records per request
  std::int64_t record_size = 0;    // produce, mixed, end-to-end; 0 for consume
  std::int64_t record_size_max = 0;  // sizes spread up to this; 0: all record_size
  std::int64_t keys = 0;           // distinct keys; 0: no keys
  std::string ratio;               // mixed: "produce:consume" requests, as "3:1"
  std::int64_t poll_max_ms = 0;    // end-to-end: the consumer's longest wait at the end
  std::int64_t in_flight = 0;      // summed over merged runs
  double rate = 0;                 // requests/s; 0: as fast as answered; summed over merged runs
  std::int32_t partitions = 0;
  std::int64_t runs = 1;           // how many runs were merged into this result
};

struct BenchResult {
  BenchInfo info;
  std::uint64_t requests = 0, failed = 0, records = 0, bytes = 0;
  double seconds = 0;
  LatencyHistogram latency;  // microseconds, from the intended send time (end-to-end: to each record's consumption)
  // end-to-end: records the producers had acknowledged, and of those, never consumed (within 10 s
  // of the end). `records` then counts the records consumed.
  std::uint64_t produced = 0, missing = 0;
  BenchTimeline timeline;    // by the moment each request completed
  std::vector<std::string> errors;  // the first few failures, for the report
};

}  // namespace krest::cli
