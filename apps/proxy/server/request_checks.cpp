#include "server/request_checks.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include "log_text.hpp"
#include "proxy_error.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;
using boost::beast::iequals;

namespace {

constexpr std::uint64_t kTokenRequestBytes = 16 * 1024;
constexpr std::uint64_t kTopicSpecBytes = 1 << 20;

HeaderRefusal refusal(const Request& header, Route route, unsigned status, std::string_view message, bool close) {
  HeaderRefusal r{error_reply(header.version(), status, message), route, close};
  return r;
}

// RFC 9112 §6.1: the transfer codings, of which we take exactly one, "chunked", last.
bool chunked_only(std::string_view value) {
  bool any = false;
  while (!value.empty()) {
    const auto comma = value.find(',');
    auto token = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token.empty()) continue;
    if (any || !iequals(token, "chunked")) return false;
    any = true;
  }
  return any;
}

}  // namespace

BodyAllowance route_body_limit(Route route, http::verb method, const ProxyConfig& config) {
  const auto most = static_cast<std::uint64_t>(config.max_body_bytes);
  switch (route) {
    case Route::produce: return {most, "max_body_bytes = " + std::to_string(most)};
    case Route::topic:
      if (method == http::verb::put)
        return {kTopicSpecBytes, std::to_string(kTopicSpecBytes) + " bytes for a topic's settings"};
      break;
    case Route::oauth_token:
      return {kTokenRequestBytes, std::to_string(kTokenRequestBytes) + " bytes for a token request"};
    default: break;
  }
  return {0, std::string("no body for ") + std::string(http::to_string(method)) + " " + route_name(route)};
}

std::optional<HeaderRefusal> check_request_header(const Request& header, std::optional<std::uint64_t> declared,
                                                  bool body_read, const ProxyConfig& config, const BodyCodings& codings,
                                                  BodyAllowance& body_limit) {
  // Framing first: a request that can be read two ways is answered and the connection closed.
  const auto te = header.find(http::field::transfer_encoding);
  if (te != header.end()) {
    if (!chunked_only(te->value()))
      return refusal(header, Route::unknown, 400,
                     "Transfer-Encoding '" + printable(te->value()) + "' is not taken: only chunked", true);
    if (header.find(http::field::content_length) != header.end())
      return refusal(header, Route::unknown, 400, "a request cannot carry both Transfer-Encoding and Content-Length",
                     true);
  }
  if (header.version() >= 11 && header.find(http::field::host) == header.end())
    return refusal(header, Route::unknown, 400, "an HTTP/1.1 request needs a Host header", !body_read);

  RouteMatch m;
  try {
    m = match_route(header.target());
  } catch (const ProxyError& e) {
    return refusal(header, Route::unknown, 400, e.what(), !body_read);
  }
  if (m.route == Route::unknown) return std::nullopt;  // 404 from the handler, or the screen for a large body
  if (!method_allowed(m.route, header.method())) return std::nullopt;  // 405 likewise

  if (auto unsupported = refuse_coding(header, codings))
    return HeaderRefusal{std::move(*unsupported), m.route, !body_read};

  body_limit = route_body_limit(m.route, header.method(), config);
  if (declared && *declared > body_limit.bytes)
    return refusal(header, m.route, 413,
                   "request body of " + std::to_string(*declared) + " bytes is larger than " + body_limit.described,
                   !body_read);
  return std::nullopt;
}

}  // namespace krest::proxy
