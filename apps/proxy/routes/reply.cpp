#include "routes/reply.hpp"

#include "api/error_body.hpp"
#include "proxy_error.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request: return 400;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::payload_too_large: return 413;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::insufficient_storage: return 507;
    case ErrorKind::internal: return 500;
  }
  return 500;
}

Response json_reply(const Request& req, std::string body, unsigned status) {
  Response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response error_reply(unsigned version, unsigned status, std::string_view message) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.body() = api::write_error_body(static_cast<int>(status), message);
  res.prepare_payload();
  return res;
}

Response memory_busy_reply(unsigned version, std::uint64_t limit) {
  Response busy = error_reply(version, 503,
                              "request bodies and unwritten answers in memory are at max_body_memory_bytes = " +
                                  std::to_string(limit) + ": try again shortly");
  busy.set(http::field::retry_after, "1");
  return busy;
}

}  // namespace krest::proxy
