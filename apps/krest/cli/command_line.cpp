#include "cli/command_line.hpp"

#include <string_view>

namespace krest::cli {
namespace {

std::string& stored() {
  static std::string line;
  return line;
}

// Quoted only when the shell would need it: single quotes, an inner one as '\''.
std::string shell_quoted(std::string_view arg) {
  const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                           "0123456789-_./=:,+@%") == std::string_view::npos;
  if (plain) return std::string(arg);
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void remember_command_line(int argc, const char* const* argv) {
  std::string line = "krest";  // whatever path it was run by, as in its usage lines
  for (int i = 1; i < argc; ++i) line += " " + shell_quoted(argv[i]);
  stored() = std::move(line);
}

const std::string& command_line() { return stored(); }

}  // namespace krest::cli
