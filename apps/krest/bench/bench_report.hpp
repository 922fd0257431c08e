#pragma once
// What `krest bench` prints and writes: a table for people, JSON for machines, and a
// self-contained HTML page (inline SVG charts, nothing fetched) for a report.
#include <string>

#include "bench/bench_run.hpp"

namespace krest::cli {

std::string bench_table(const BenchOptions& options, const BenchResult& result);
std::string bench_json(const BenchOptions& options, const BenchResult& result);
std::string bench_html(const BenchOptions& options, const BenchResult& result);

}  // namespace krest::cli
