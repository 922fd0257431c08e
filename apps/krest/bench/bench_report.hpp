#pragma once
// What `krest bench` prints and writes for people: a table, and a self-contained HTML page
// (inline SVG charts, nothing fetched). JSON for machines is bench_json.hpp.
#include <string>

#include "bench/bench_result.hpp"

namespace krest::cli {

// "produce on 'b' (2 partition(s)), 8 request(s) in flight, ...": what was run.
std::string describe_run(const BenchInfo& info);

std::string bench_table(const BenchResult& result);
// `before_charts`: a section of more to say (find-max's steps), put after the summary.
std::string bench_html(const BenchResult& result, const std::string& before_charts = "");

// The HTML page's head and style, and the table of what the run was (endpoint, date, version,
// command line, settings, machine): shared with compare's report.
std::string html_head(const std::string& title);
std::string html_run_header(const BenchInfo& info);

}  // namespace krest::cli
