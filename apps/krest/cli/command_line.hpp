#pragma once
// The command line krest was started with, as a shell would take it back (for reports that say
// how they were made).
#include <string>

namespace krest::cli {

void remember_command_line(int argc, const char* const* argv);
const std::string& command_line();

}  // namespace krest::cli
