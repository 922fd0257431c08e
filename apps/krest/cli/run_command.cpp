#include "cli/run_command.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "cli/usage_error.hpp"
#include "krest/error.hpp"

namespace asio = boost::asio;

namespace krest::cli {

int report_failure(const char* name, std::exception_ptr e, std::string* message) {
  std::string text;
  int code = kExitFailed;
  try {
    std::rethrow_exception(e);
  } catch (const UsageError& u) {
    text = u.what();
    code = kExitUsage;
  } catch (const std::invalid_argument& u) {
    text = u.what();
    code = kExitUsage;
  } catch (const Error& k) {
    text = k.what();
    if (!k.proxy_message().empty() && text.find(k.proxy_message()) == std::string::npos)
      text += " (" + k.proxy_message() + ")";
    // An argument the engine refused before sending anything (a topic name Kafka would refuse).
    if (k.kind() == Error::Kind::invalid) code = kExitUsage;
  } catch (const std::exception& other) {
    text = other.what();
  }
  std::fprintf(stderr, "krest %s: %s\n", name, text.c_str());
  if (message) *message = text;
  return code;
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
    // A token that does not come at once is said to be awaited, and from where, instead of a
    // silence as long as the wait.
    asio::steady_timer token_notice(ioc, std::chrono::seconds(1));
    if (options.auth.mode == AuthOptions::Mode::client_credentials)
      token_notice.async_wait([&](const boost::system::error_code& ec) {
        if (ec || done || client.tokens().stats().acquired > 0) return;
        const auto last = client.tokens().last_error();
        std::fprintf(stderr, "krest %s: waiting for an access token from %s (up to %lld s)%s\n", name,
                     client.tokens().token_url().c_str(),
                     static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(options.auth.wait).count()),
                     last.empty() ? "" : ("; last attempt: " + last).c_str());
      });
    asio::co_spawn(ioc, command(client, stop), [&](std::exception_ptr e, int result) {
      failure = e;
      code = result;
      done = true;
      signals.cancel();
      token_notice.cancel();
      client.close();
    });
    // The token source refreshes for ever: run until the command is done, not until out of work.
    while (!done) ioc.run_one();
    ioc.restart();
    ioc.poll();  // lets closed connections and cancelled timers finish before the Client goes
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) std::rethrow_exception(failure);
  return code;
}

}  // namespace krest::cli
