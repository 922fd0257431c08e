#pragma once
// What a request's header alone decides, before a byte of its body is read: HTTP framing that
// could be read two ways (RFC 9112 §6.3: a Transfer-Encoding whose final coding is not chunked, or
// one beside a Content-Length, is how requests are smuggled), a missing Host, a path or method
// that does not exist, a content coding not taken, and a body larger than its route takes (a
// token request is a few hundred bytes; a GET has none), so that no route can be made to hold
// max_body_bytes of memory without a token.
#include <cstdint>
#include <optional>
#include <string>

#include "config/proxy_config.hpp"
#include "routes/reply.hpp"
#include "routes/router.hpp"
#include "server/body_codings.hpp"

namespace krest::proxy {

// The most body a route takes, and how to say it ("max_body_bytes = N", "16384 bytes for a token
// request").
struct BodyAllowance {
  std::uint64_t bytes = 0;
  std::string described;
};
BodyAllowance route_body_limit(Route route, boost::beast::http::verb method, const ProxyConfig& config);

struct HeaderRefusal {
  Response response;
  Route route = Route::unknown;  // for the metrics
  // The connection must close after it: the body, if any, stays unread (or its length is unknown).
  bool close = true;
};

// The refusal for this header, or nothing when its body may be read (up to `body_limit`, set
// here for the route). `declared`: its Content-Length as the parser read it; `body_read`: the whole
// body came with the header already.
std::optional<HeaderRefusal> check_request_header(const Request& header, std::optional<std::uint64_t> declared,
                                                  bool body_read, const ProxyConfig& config, const BodyCodings& codings,
                                                  BodyAllowance& body_limit);

}  // namespace krest::proxy
