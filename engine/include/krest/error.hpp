#pragma once
// The one error type of the engine: what failed, the HTTP status when the proxy answered, the
// proxy's own message, and whether trying again could succeed.
#include <stdexcept>
#include <string>

namespace krest {

class Error : public std::runtime_error {
 public:
  enum class Kind {
    transport,  // could not connect, or the connection failed mid-request
    timeout,    // a connect, request or delivery deadline passed
    http,       // the proxy answered with an error status
    token,      // no access token could be had
    protocol,   // the proxy's answer did not make sense (unparseable body, missing header)
    closed,     // the producer or consumer was closed
    invalid,    // the caller's input was refused before anything was sent
  };

  Error(Kind kind, std::string message, int status = 0, std::string proxy_message = {}, bool retriable = false)
      : std::runtime_error(std::move(message)),
        kind_(kind),
        status_(status),
        proxy_message_(std::move(proxy_message)),
        retriable_(retriable) {}

  Kind kind() const { return kind_; }
  int status() const { return status_; }  // the HTTP status, 0 when no response came
  const std::string& proxy_message() const { return proxy_message_; }
  bool retriable() const { return retriable_; }

 private:
  Kind kind_;
  int status_;
  std::string proxy_message_;
  bool retriable_;
};

// The statuses worth retrying: the proxy or a gateway was overloaded or briefly unavailable.
inline bool retriable_status(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

}  // namespace krest
