// krest: move data in and out of Kafka through an HDInsight-compatible Kafka REST proxy.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/command_line.hpp"
#include "cli/connection.hpp"
#include "cli/subcommand.hpp"
#include "cli/usage_error.hpp"
#include "parse_error_line.hpp"

using namespace krest::cli;

int main(int argc, char** argv) {
  // A closed pipe (krest tail | head) is an ordinary end of output, handled where writes fail.
  std::signal(SIGPIPE, SIG_IGN);
  remember_command_line(argc, argv);

  CLI::App app{"krest: move data in and out of Kafka through an HDInsight-compatible Kafka REST proxy"};
  app.name("krest");  // "Usage: krest ...", whatever path it was run by
  app.set_version_flag("--version", "krest 0.1.0");
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  bool print_settings = false;
  app.add_flag("--print-connection-settings", print_settings,
               "print the connection settings as a Markdown table and exit");
  app.footer("Connection settings: flag > KREST_* variable > --config profile (docs/CLI.md).\n"
             "Exit codes: 0 done, 1 something failed, 2 a wrong command line, 130 interrupted.");

  ConnectionFlags flags;
  const std::vector<Subcommand> table = subcommands();
  std::vector<CLI::App*> apps;
  std::vector<std::string> names;
  for (const auto& s : table) {
    auto* sub = app.add_subcommand(s.name, s.summary);
    for (auto* takes_connection : s.define(*sub)) add_connection_options(*takes_connection, flags);
    apps.push_back(sub);
    names.emplace_back(s.name);
  }

  if (argc == 2 && std::string(argv[1]) == "--print-connection-settings") {
    std::cout << describe_connection_settings();
    return kExitOk;
  }
  bool known = false;
  for (const auto& s : table) known = known || (argc >= 2 && argv[1] == std::string(s.name));
  if (argc >= 2 && argv[1][0] != '-' && !known) {
    std::fprintf(stderr, "krest: %s (see krest --help)\n", krest::unknown_command_line(argv[1], names).c_str());
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, and where to look: CLI11's own report adds the whole usage.
    std::string which = "krest";
    const CLI::App* deepest = &app;
    while (!deepest->get_subcommands().empty()) {
      deepest = deepest->get_subcommands().front();
      which += " " + deepest->get_name();
    }
    std::fprintf(stderr, "%s: %s (see %s --help)\n", which.c_str(), krest::parse_error_line(*deepest, e).c_str(),
                 which.c_str());
    return kExitUsage;
  }
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (!apps[i]->parsed()) continue;
    ConnectionProfile profile;
    try {
      profile = compose_profile(flags);
    } catch (...) {
      return report_failure(table[i].name, std::current_exception());
    }
    return run_subcommand(table[i], profile);
  }
  return kExitUsage;
}
