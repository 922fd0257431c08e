#pragma once
// One krest subcommand as data: its name and summary, how its options are added, what is checked
// before any connection, how it adjusts the engine's options, and the coroutine that does the
// work. main() holds the table of them; run_subcommand() runs one the same way for all.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/connection.hpp"
#include "cli/run_command.hpp"

namespace CLI {
class App;
}

namespace krest::cli {

struct Subcommand {
  const char* name;
  const char* summary;
  // Adds the subcommand's options (and its actions, for topics) to `app`; returns the apps that
  // take the connection options: the subcommand itself, or each of its actions.
  std::function<std::vector<CLI::App*>(CLI::App& app)> define{};
  // What can be checked before a connection is made; throws UsageError.
  std::function<void()> check = [] {};
  // Work that needs no proxy (bench compare and merge): its exit code, or nothing to go on and
  // connect. Runs after check(); throws as a command does.
  std::function<std::optional<int>()> local = [] { return std::optional<int>{}; };
  // Adjusts the engine's options to the subcommand (bench pins its pool).
  std::function<void(ClientOptions&)> adjust = [](ClientOptions&) {};
  // Besides the line on stderr, what a failure with this message and exit code also prints (load
  // --json writes it as JSON).
  std::function<void(const std::string& message, int code)> failed = [](const std::string&, int) {};
  Command command{};
};

// check(), the profile's client options, adjust(), run_command(); every error one line on stderr
// and its exit code.
int run_subcommand(const Subcommand& subcommand, const ConnectionProfile& profile);

// The table, in the order `krest --help` lists them.
std::vector<Subcommand> subcommands();

Subcommand load_subcommand();
Subcommand tail_subcommand();
Subcommand topics_subcommand();
Subcommand produce_subcommand();
Subcommand consume_subcommand();
Subcommand bench_subcommand();

}  // namespace krest::cli
