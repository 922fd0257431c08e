#pragma once
// `krest bench --hlog FILE`: the run's intervals as an HdrHistogram interval log (format 1.3), so
// HdrHistogram's own tools (HistogramLogProcessor, the plotters) read it: one line per interval,
// its histogram in HdrHistogram's compressed V2 encoding (zlib, base64). Values are microseconds;
// Interval_Max is in milliseconds (a max value unit ratio of 1000, HistogramLogProcessor's
// -outputValueUnitRatio 1000 prints milliseconds).
#include <string>

#include "bench/bench_result.hpp"

namespace krest::cli {

std::string hdr_interval_log(const BenchResult& result);

// One histogram in HdrHistogram's compressed V2 encoding (before base64): for tests.
std::string hdr_compressed_histogram(const LatencyHistogram& histogram);

}  // namespace krest::cli
