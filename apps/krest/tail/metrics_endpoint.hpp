#pragma once
// A Prometheus scrape endpoint for long-running commands: GET /metrics on a plain-HTTP port
// (loopback unless told otherwise), answering with whatever `render` returns at that moment.
#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace krest::cli {

class MetricsEndpoint {
 public:
  // Binds at once; throws std::runtime_error naming the address when it cannot.
  MetricsEndpoint(boost::asio::any_io_executor ex, const std::string& address, std::uint16_t port,
                  std::function<std::string()> render);
  ~MetricsEndpoint();  // stops accepting; connections in progress finish on their own timeouts
  std::uint16_t port() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace krest::cli
