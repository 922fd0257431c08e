#pragma once
#include <stdexcept>
#include <string>

#include "api/topic_name.hpp"

namespace krest::cli {

// The command line (or a file it names) cannot work as given: a one-line message and exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A topic name from the command line, checked before anything is sent (Kafka's rules).
inline void require_topic_name(const std::string& topic) {
  if (auto problem = api::check_topic_name(topic)) throw UsageError("topic '" + topic + "': " + *problem);
}

// Exit codes shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the work ran and something failed (records rejected, the proxy refused)
  kExitUsage = 2,        // bad arguments, unreadable files: nothing was attempted
  kExitInterrupted = 130 // SIGINT/SIGTERM stopped work that was not finished (load, bench)
};

}  // namespace krest::cli
