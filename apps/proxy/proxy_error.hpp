#pragma once
// The one error type that storage and route code throws; routes/reply.cpp is the one place that
// turns it into an HTTP status and the spec's error body.
#include <stdexcept>
#include <string>

namespace krest::proxy {

enum class ErrorKind {
  bad_request,           // 400
  not_found,             // 404
  conflict,              // 409
  payload_too_large,     // 413
  unavailable,           // 503
  insufficient_storage,  // 507
  internal,              // 500
};

class ProxyError : public std::runtime_error {
 public:
  ProxyError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

int http_status(ErrorKind kind);

}  // namespace krest::proxy
