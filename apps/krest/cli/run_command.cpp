#include "cli/run_command.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "cli/usage_error.hpp"
#include "krest/error.hpp"

namespace asio = boost::asio;

namespace krest::cli {

int report_failure(const char* name, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const UsageError& u) {
    std::fprintf(stderr, "krest %s: %s\n", name, u.what());
    return kExitUsage;
  } catch (const std::invalid_argument& u) {
    std::fprintf(stderr, "krest %s: %s\n", name, u.what());
    return kExitUsage;
  } catch (const Error& k) {
    std::string text = k.what();
    if (!k.proxy_message().empty() && text.find(k.proxy_message()) == std::string::npos)
      text += " (" + k.proxy_message() + ")";
    std::fprintf(stderr, "krest %s: %s\n", name, text.c_str());
    return kExitFailed;
  } catch (const std::exception& other) {
    std::fprintf(stderr, "krest %s: %s\n", name, other.what());
    return kExitFailed;
  }
}

int run_command(const char* name, const ClientOptions& options, const Command& command) {
  asio::io_context ioc(1);
  std::exception_ptr failure;
  int code = kExitFailed;
  bool done = false;
  try {
    Client client(ioc.get_executor(), options);
    StopRequest stop;
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                                 int number) {
      if (ec) return;
      if (stop.requested) {
        static const char message[] = "\nkrest: interrupted again, exiting now\n";
        (void)!::write(2, message, sizeof message - 1);
        std::_Exit(kExitInterrupted);
      }
      stop.requested = true;
      stop.signal = number;
      if (stop.on_request) stop.on_request();
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    asio::co_spawn(ioc, command(client, stop), [&](std::exception_ptr e, int result) {
      failure = e;
      code = result;
      done = true;
      signals.cancel();
      client.close();
    });
    // The token source refreshes for ever: run until the command is done, not until out of work.
    while (!done) ioc.run_one();
    ioc.restart();
    ioc.poll();  // lets closed connections and cancelled timers finish before the Client goes
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) return report_failure(name, failure);
  return code;
}

}  // namespace krest::cli
