#pragma once
// Running engine coroutines from a test: an io_context driven until the awaited work is done
// (the token source's refresh loop never runs out of work, so run() alone would not return),
// with a deadline so that a hung test fails instead of hanging.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "krest/client.hpp"
#include "support/proxy_process.hpp"
#include "support/test_authority.hpp"

namespace krest::test {

struct EngineHarness {
  boost::asio::io_context ioc;

  template <class T>
  T run(boost::asio::awaitable<T> work, std::chrono::seconds limit = std::chrono::seconds(120)) {
    auto done = boost::asio::co_spawn(ioc, std::move(work), boost::asio::use_future);
    ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("engine work did not finish in time");
      ioc.run_one_for(std::chrono::milliseconds(50));
    }
    return done.get();
  }

  // Lets detached work (linger timers, finished fetches) wind down after a client closed.
  void drain() {
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(200));
  }
};

// Options reaching `proxy` (or `endpoint` in front of it) with the test application's
// credentials when the proxy runs the test authority.
inline ClientOptions client_options(const ProxyProcess& proxy, std::string endpoint = {}) {
  ClientOptions o;
  o.endpoint = endpoint.empty() ? proxy.url() : std::move(endpoint);
  if (proxy.tls()) o.tls.ca_file = proxy.ca_file();
  if (proxy.has_test_authority()) {
    o.auth.mode = AuthOptions::Mode::client_credentials;
    o.auth.tenant = kTenant;
    o.auth.client_id = kClientId;
    o.auth.client_secret = kClientSecret;
    o.auth.authority = "https://localhost:" + std::to_string(proxy.port()) + "/{tenant}";
    o.auth.tls.ca_file = proxy.ca_file();
  }
  o.pool.connections = 4;
  return o;
}

}  // namespace krest::test
