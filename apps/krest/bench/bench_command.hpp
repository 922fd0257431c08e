#pragma once
#include "bench/bench_run.hpp"
#include "cli/connection.hpp"

namespace CLI {
class App;
}

namespace krest::cli {

CLI::App* add_bench_command(CLI::App& root, BenchOptions& options, ConnectionProfile& profile);
int run_bench_command(const ConnectionProfile& profile, BenchOptions options);

}  // namespace krest::cli
