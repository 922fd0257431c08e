#include "cli/subcommand.hpp"

#include "cli/usage_error.hpp"

namespace krest::cli {

int run_subcommand(const Subcommand& s, const ConnectionProfile& profile) {
  try {
    s.check();
    if (const auto done = s.local()) return *done;
    auto options = client_options(profile);
    s.adjust(options);
    return run_command(s.name, options, s.command);
  } catch (...) {
    std::string message;
    const int code = report_failure(s.name, std::current_exception(), &message);
    s.failed(message, code);
    return code;
  }
}

std::vector<Subcommand> subcommands() {
  return {load_subcommand(),    tail_subcommand(),    topics_subcommand(),
          produce_subcommand(), consume_subcommand(), bench_subcommand()};
}

}  // namespace krest::cli
