#pragma once
// Where a consumer starts, as the command line says it: earliest, latest, or an offset.
#include <string>

#include "krest/consumer.hpp"

namespace krest::cli {

// Throws UsageError naming `flag` and the text for anything else.
StartAt parse_start(const std::string& text, const char* flag);

}  // namespace krest::cli
