#pragma once
#include "bench/bench_run.hpp"
#include "cli/connection.hpp"

namespace CLI {
class App;
}

namespace krest::cli {


}  // namespace krest::cli
