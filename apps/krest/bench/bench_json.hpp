#pragma once
// A bench result as JSON (`krest bench --json`) and back: numbers as plain decimals, the whole
// latency histogram and every interval's, so that `compare` and `merge` work from the files
// exactly as from the runs.
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_result.hpp"

namespace boost::json {
class object;
}

namespace krest::cli {

std::string bench_json(const BenchResult& result);
// The same as an object, for a result with more to say (find-max: cli/plain_json.hpp writes it).
boost::json::object bench_json_object(const BenchResult& result);

// Throws UsageError naming the file and what is wrong with it.
BenchResult read_bench_json(const std::string& path);
// The same from text already read; `name` for the messages.
BenchResult parse_bench_json(std::string_view text, const std::string& name);

// Runs made at the same time on several machines as one: histograms and counts added, timelines
// aligned by their start times (wall clock), never percentiles averaged.
BenchResult merge_results(const std::vector<BenchResult>& runs);

}  // namespace krest::cli
