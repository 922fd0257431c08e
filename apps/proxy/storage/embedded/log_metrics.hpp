#pragma once
// Counters of the embedded log, shared by its partitions and syncer; rendered into /metrics.
#include <atomic>
#include <cstdint>

#include "metrics/histogram.hpp"

namespace krest::proxy {

struct LogMetrics {
  std::atomic<std::uint64_t> fsyncs{0};         // fdatasync calls on segment files
  metrics::LatencyHistogram fsync_seconds;      // how long each took
  std::atomic<std::uint64_t> durable_waits{0};  // produce requests acknowledged after a sync (group commit: >= fsyncs)
  std::atomic<std::uint64_t> segments_deleted{0};
  std::atomic<std::uint64_t> write_errors{0};
};

}  // namespace krest::proxy
