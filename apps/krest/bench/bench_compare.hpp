#pragma once
// `krest bench compare A.json B.json ...`: runs side by side. Consecutive files of the same
// setting (mode, endpoint, records per request, record size, in flight, rate) are repeats of one
// measurement: summarised by their median and spread, and a difference from the first setting
// that lies inside the two spreads is marked as noise.
#include <string>
#include <vector>

#include "bench/bench_result.hpp"

namespace krest::cli {

struct CompareGroup {
  std::string label;             // the first file's name, "+N" for repeats
  std::vector<BenchResult> runs;
};

std::vector<CompareGroup> group_runs(const std::vector<std::string>& files, std::vector<BenchResult> runs);

std::string compare_table(const std::vector<CompareGroup>& groups);
std::string compare_html(const std::vector<CompareGroup>& groups);

}  // namespace krest::cli
