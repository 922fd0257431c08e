#pragma once
// Flags that set how many requests go at once (--in-flight, --window, --connections): "auto"
// (adapted to the link, up to the engine's bound), "auto:N" (adapted, never above N) or "N"
// (pinned to N).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "krest/concurrency.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace krest::cli {

// Adds the flag `name` (e.g. "--in-flight") to `app`, checked as it is parsed.
CLI::Option* add_concurrency_option(CLI::App& app, const std::string& name, std::string& target,
                                    const std::string& help, std::size_t max);

// Throws UsageError naming `what` (a flag or setting) when `text` is none of the three forms or
// N is outside 1..max.
Concurrency parse_concurrency(const std::string& text, const std::string& what, std::size_t auto_bound,
                              std::size_t max);

// The problem with `text`, or empty: for validating a flag as it is parsed.
std::string concurrency_problem(const std::string& text, std::size_t max);

// Adds the flag `name` that takes "auto" (0 in `target`) or a number N in 1..max, checked as it is
// parsed (--batch-records, --fetch-records).
CLI::Option* add_auto_count_option(CLI::App& app, const std::string& name, std::int64_t& target,
                                   const std::string& help, std::size_t max);

// Whether the whole of `text` is a number N in 1..max (then in `out`): the N of "N" and "auto:N",
// and of other flags that take "auto" or a number.
bool parse_count(std::string_view text, std::size_t max, std::size_t& out);

}  // namespace krest::cli
