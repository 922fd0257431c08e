#include "routes/router.hpp"

#include <boost/url/parse.hpp>

#include "proxy_error.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

const char* route_name(Route r) {
  static constexpr std::array<const char*, kRouteCount> names = {
      "status",      "topic",           "brokers",       "topics", "partitions", "partition", "produce", "consume",
      "oauth_token", "oauth_authorize", "openid_config", "jwks",   "health",     "metrics",   "unknown"};
  return names[static_cast<std::size_t>(r)];
}

bool is_authority_route(Route r) {
  return r == Route::oauth_token || r == Route::oauth_authorize || r == Route::openid_config || r == Route::jwks;
}

bool is_api_route(Route r) { return r < Route::oauth_token; }

const char* allowed_methods(Route r) {
  switch (r) {
    case Route::topic: return "PUT, DELETE";
    case Route::produce:
    case Route::oauth_token: return "POST";
    default: return "GET";
  }
}

bool method_allowed(Route r, http::verb v) {
  switch (r) {
    case Route::topic: return v == http::verb::put || v == http::verb::delete_;
    case Route::produce:
    case Route::oauth_token: return v == http::verb::post;
    case Route::unknown: return false;
    default: return v == http::verb::get;
  }
}

RouteMatch match_route(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) throw ProxyError(ErrorKind::bad_request, "malformed request target: " + parsed.error().message());
  RouteMatch m;
  std::vector<std::string> s;
  for (auto seg : parsed->segments()) s.push_back(std::string(seg));

  auto is = [&](std::initializer_list<const char*> pattern) {
    if (s.size() != pattern.size()) return false;
    std::size_t i = 0;
    for (const char* p : pattern) {
      if (p[0] != '{' && s[i] != p) return false;
      ++i;
    }
    i = 0;
    for (const char* p : pattern) {
      if (p[0] == '{') m.params.push_back(s[i]);
      ++i;
    }
    return true;
  };

  if (is({"v1", "status"}))
    m.route = Route::status;
  else if (is({"v1", "topics", "{t}"}))
    m.route = Route::topic;
  else if (is({"v1", "metadata", "brokers"}))
    m.route = Route::brokers;
  else if (is({"v1", "metadata", "topics"}))
    m.route = Route::topics;
  else if (is({"v1", "metadata", "topics", "{t}", "partitions"}))
    m.route = Route::partitions;
  else if (is({"v1", "metadata", "topics", "{t}", "partitions", "{p}"}))
    m.route = Route::partition;
  else if (is({"v1", "producer", "topics", "{t}"}))
    m.route = Route::produce;
  else if (is({"v1", "consumer", "topics", "{t}", "partitions", "{p}", "offsets", "{o}"}))
    m.route = Route::consume;
  else if (is({"{tenant}", "oauth2", "v2.0", "token"}))
    m.route = Route::oauth_token;
  else if (is({"{tenant}", "oauth2", "v2.0", "authorize"}))
    m.route = Route::oauth_authorize;
  else if (is({"{tenant}", "v2.0", ".well-known", "openid-configuration"}))
    m.route = Route::openid_config;
  else if (is({"{tenant}", "discovery", "v2.0", "keys"}))
    m.route = Route::jwks;
  else if (is({"health"}))
    m.route = Route::health;
  else if (is({"metrics"}))
    m.route = Route::metrics;

  if (m.route == Route::consume) {
    auto params = parsed->params();
    auto it = params.find("count");
    if (it != params.end()) {
      m.has_count = true;
      m.query_count = std::string((*it).value);
    }
  }
  return m;
}

}  // namespace krest::proxy
