// krest bench --json results read back by compare and merge (files from other machines).
#include "bench/bench_json.hpp"
#include "cli/usage_error.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto result = krest::cli::parse_bench_json(fuzz_text(data, size), "fuzz");
    (void)krest::cli::bench_json(result);
    (void)krest::cli::merge_results({result, result});
  } catch (const krest::cli::UsageError&) {
  }
  return 0;
}
