#pragma once
// What a command line CLI11 refused gets told, on one line.
#include <string>
#include <vector>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace krest {

// An option or command that `app` (the deepest subcommand given) does not know comes first, with
// the nearest known one: CLI11 checks for missing required options before it looks at what was
// left over, so `krest tail --topc events` would otherwise be told that --topic is required.
// Anything else is CLI11's own message.
std::string parse_error_line(const CLI::App& app, const CLI::ParseError& e);

// "unknown command 'tial' (did you mean 'tail'?); the commands are load, tail, ..."
std::string unknown_command_line(const std::string& typed, const std::vector<std::string>& commands);

}  // namespace krest
