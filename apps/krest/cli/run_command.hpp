#pragma once
// Runs one subcommand's coroutine on a fresh io_context with its Client, turning SIGINT/SIGTERM
// into a request to stop and every error into a one-line message and an exit code.
#include <boost/asio/awaitable.hpp>

#include <functional>

#include "krest/client.hpp"

namespace krest::cli {

// What a command sees of SIGINT/SIGTERM: the first one sets `requested` and calls `on_request`
// (on the command's executor), so the command can wind down and save its state; a second one
// ends the process at once with exit code 130.
struct StopRequest {
  bool requested = false;
  int signal = 0;
  std::function<void()> on_request;
};

using Command = std::function<boost::asio::awaitable<int>(Client&, StopRequest&)>;

// Returns the command's exit code; kExitUsage for a UsageError (or an invalid argument), kExitFailed
// for any other error. Rethrows what fails, for run_subcommand to report.
int run_command(const char* name, const ClientOptions& options, const Command& command);

// Prints `e` as one line on stderr and returns its exit code; `message` gets the line's text.
int report_failure(const char* name, std::exception_ptr e, std::string* message = nullptr);

}  // namespace krest::cli
