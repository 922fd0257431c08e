#include "parse_error_line.hpp"

#include <CLI/CLI.hpp>

#include <cctype>
#include <optional>
#include <vector>

#include "nearest_name.hpp"

namespace krest {
namespace {

// "--name", "--name=value" or "-x" (not "-5", a negative number, nor "-" for stdin).
std::optional<std::string> option_name(const std::string& arg) {
  if (arg.size() < 2 || arg[0] != '-') return std::nullopt;
  if (arg[1] == '-') return arg.size() > 2 ? std::optional(arg.substr(0, arg.find('='))) : std::nullopt;
  if (!std::isalpha(static_cast<unsigned char>(arg[1]))) return std::nullopt;
  return arg.substr(0, 2);
}

std::string with_suggestion(const std::string& typed, const std::vector<std::string>& known, const char* quote) {
  auto near = nearest_name(typed, known);
  std::string out = quote + typed + quote;
  if (near) out += std::string(" (did you mean ") + quote + *near + quote + "?)";
  return out;
}

}  // namespace

std::string unknown_command_line(const std::string& typed, const std::vector<std::string>& commands) {
  std::string list;
  for (const auto& c : commands) list += (list.empty() ? "" : ", ") + c;
  return "unknown command " + with_suggestion(typed, commands, "'") + "; the commands are " + list;
}

std::string parse_error_line(const CLI::App& app, const CLI::ParseError& e) {
  const std::vector<std::string> left = app.remaining();  // in the command line's order
  std::vector<std::string> options;
  for (const auto& arg : left)
    if (auto name = option_name(arg)) options.push_back(*name);

  if (!options.empty()) {
    std::vector<std::string> known;
    for (const CLI::Option* o : app.get_options()) {
      for (const auto& l : o->get_lnames()) known.push_back("--" + l);
      for (const auto& s : o->get_snames()) known.push_back("-" + s);
    }
    std::string line = options.size() == 1 ? "unknown option " : "unknown options ";
    for (std::size_t i = 0; i < options.size(); ++i) line += (i ? ", " : "") + with_suggestion(options[i], known, "");
    return line;
  }

  // A word where a command was required ("krest topics craete").
  const auto commands = app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
  if (!commands.empty() && app.get_subcommands().empty() && !left.empty()) {
    std::vector<std::string> names;
    for (const CLI::App* s : commands) names.push_back(s->get_name());
    return unknown_command_line(left.front(), names);
  }
  return e.what();
}

}  // namespace krest
