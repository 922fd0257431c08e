// krest: move data in and out of Kafka through an HDInsight-compatible Kafka REST proxy.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "bench/bench_command.hpp"
#include "cli/connection.hpp"
#include "cli/usage_error.hpp"
#include "load/load_command.hpp"
#include "quick/quick_commands.hpp"
#include "tail/tail_command.hpp"
#include "topics/topics_command.hpp"

using namespace krest::cli;

int main(int argc, char** argv) {
  // A closed pipe (krest tail | head) is an ordinary end of output, handled where writes fail.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"krest: move data in and out of Kafka through an HDInsight-compatible Kafka REST proxy"};
  app.set_version_flag("--version", "krest 0.1.0");
  app.require_subcommand(1);
  bool print_settings = false;
  app.add_flag("--print-connection-settings", print_settings,
               "print the connection settings as a Markdown table and exit");

  ConnectionProfile profile;
  LoadOptions load;
  TailOptions tail;
  TopicsOptions topics;
  ProduceOptions produce;
  ConsumeOptions consume;
  BenchOptions bench;
  auto* load_cmd = add_load_command(app, load, profile);
  auto* tail_cmd = add_tail_command(app, tail, profile);
  auto* topics_cmd = add_topics_command(app, topics, profile);
  auto* produce_cmd = add_produce_command(app, produce, profile);
  auto* consume_cmd = add_consume_command(app, consume, profile);
  auto* bench_cmd = add_bench_command(app, bench, profile);

  if (argc == 2 && std::string(argv[1]) == "--print-connection-settings") {
    std::cout << describe_connection_settings();
    return kExitOk;
  }
  bool known = false;
  for (const auto* sub : app.get_subcommands({})) known = known || (argc >= 2 && sub->get_name() == argv[1]);
  if (argc >= 2 && argv[1][0] != '-' && !known) {
    std::fprintf(stderr, "krest: unknown command '%s' (commands: load, tail, topics, produce, consume, bench; see krest --help)\n",
                 argv[1]);
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
    for (auto* sub : app.get_subcommands()) which += " " + sub->get_name();
    std::fprintf(stderr, "%s: %s (see %s --help)\n", which.c_str(), e.what(), which.c_str());
    return kExitUsage;
  }
  if (load_cmd->parsed()) return run_load(profile, load);
  if (tail_cmd->parsed()) return run_tail(profile, tail);
  if (topics_cmd->parsed()) return run_topics(profile, topics);
  if (produce_cmd->parsed()) return run_produce(profile, produce);
  if (consume_cmd->parsed()) return run_consume(profile, consume);
  if (bench_cmd->parsed()) return run_bench_command(profile, bench);
  return kExitUsage;
}
