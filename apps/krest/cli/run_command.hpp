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

// Returns the command's exit code; kExitUsage for a UsageError, kExitFailed for any other error.
int run_command(const char* name, const ClientOptions& options, const Command& command);

// The same without a client (for commands that fail before one can exist): prints and maps `e`.
int report_failure(const char* name, std::exception_ptr e);

}  // namespace krest::cli
