#include "routes/router.hpp"

#include <boost/url/parse.hpp>

#include "proxy_error.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

namespace {

enum class Family { api, authority, service };

// Every route in one row: its name (metrics labels, logs), what it belongs to, the methods it takes
// (the Allow header's text and the verbs), and its path, "{...}" marking a parameter. In the order
// of the Route enum, which route_spec() checks at compile time.
struct RouteSpec {
  Route route;
  const char* name;
  Family family;
  const char* allow;
  http::verb method;
  http::verb other_method;  // http::verb::unknown when there is one
  std::array<const char*, 8> path;  // ends at the first nullptr
};

constexpr auto none = http::verb::unknown;
constexpr std::array<RouteSpec, kRouteCount - 1> kRoutes{{
    {Route::status, "status", Family::api, "GET", http::verb::get, none, {"v1", "status"}},
    {Route::topic, "topic", Family::api, "PUT, DELETE", http::verb::put, http::verb::delete_, {"v1", "topics", "{topic}"}},
    {Route::brokers, "brokers", Family::api, "GET", http::verb::get, none, {"v1", "metadata", "brokers"}},
    {Route::topics, "topics", Family::api, "GET", http::verb::get, none, {"v1", "metadata", "topics"}},
    {Route::partitions, "partitions", Family::api, "GET", http::verb::get, none,
     {"v1", "metadata", "topics", "{topic}", "partitions"}},
    {Route::partition, "partition", Family::api, "GET", http::verb::get, none,
     {"v1", "metadata", "topics", "{topic}", "partitions", "{partition}"}},
    {Route::produce, "produce", Family::api, "POST", http::verb::post, none, {"v1", "producer", "topics", "{topic}"}},
    {Route::consume, "consume", Family::api, "GET", http::verb::get, none,
     {"v1", "consumer", "topics", "{topic}", "partitions", "{partition}", "offsets", "{offset}"}},
    {Route::oauth_token, "oauth_token", Family::authority, "POST", http::verb::post, none,
     {"{tenant}", "oauth2", "v2.0", "token"}},
    {Route::oauth_authorize, "oauth_authorize", Family::authority, "GET", http::verb::get, none,
     {"{tenant}", "oauth2", "v2.0", "authorize"}},
    {Route::openid_config, "openid_config", Family::authority, "GET", http::verb::get, none,
     {"{tenant}", "v2.0", ".well-known", "openid-configuration"}},
    {Route::jwks, "jwks", Family::authority, "GET", http::verb::get, none, {"{tenant}", "discovery", "v2.0", "keys"}},
    {Route::health, "health", Family::service, "GET", http::verb::get, none, {"health"}},
    {Route::metrics, "metrics", Family::service, "GET", http::verb::get, none, {"metrics"}},
}};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kRoutes.size(); ++i)
    if (static_cast<std::size_t>(kRoutes[i].route) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kRoutes must list every route in the order of the Route enum");

const RouteSpec* spec(Route r) {
  const auto i = static_cast<std::size_t>(r);
  return i < kRoutes.size() ? &kRoutes[i] : nullptr;
}

}  // namespace

const char* route_name(Route r) {
  const auto* s = spec(r);
  return s ? s->name : "unknown";
}

bool is_authority_route(Route r) {
  const auto* s = spec(r);
  return s && s->family == Family::authority;
}

bool is_api_route(Route r) {
  const auto* s = spec(r);
  return s && s->family == Family::api;
}

const char* allowed_methods(Route r) {
  const auto* s = spec(r);
  return s ? s->allow : "GET";
}

bool method_allowed(Route r, http::verb v) {
  const auto* s = spec(r);
  return s && v != none && (v == s->method || v == s->other_method);
}

RouteMatch match_route(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) throw ProxyError(ErrorKind::bad_request, "malformed request target: " + parsed.error().message());
  RouteMatch m;
  std::vector<std::string> segments;
  for (auto seg : parsed->segments()) segments.push_back(std::string(seg));
  for (const auto& r : kRoutes) {
    std::size_t n = 0;
    while (n < r.path.size() && r.path[n]) ++n;
    if (segments.size() != n) continue;
    bool same = true;
    for (std::size_t i = 0; i < n && same; ++i) same = r.path[i][0] == '{' || segments[i] == r.path[i];
    if (!same) continue;
    m.route = r.route;
    for (std::size_t i = 0; i < n; ++i)
      if (r.path[i][0] == '{') m.params.push_back(std::move(segments[i]));
    break;
  }

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
