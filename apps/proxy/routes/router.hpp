#pragma once
// Method and path -> route. Path segments are percent-decoded before matching, as the spec asks
// for topic names; a malformed target is a 400, an unknown path a 404, a wrong method a 405.
#include <ostream>  // boost/core/detail/string_view.hpp (1.81) needs it and does not include it

#include <boost/beast/http/verb.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace krest::proxy {

// Each route's name, methods and path are one row of the table in router.cpp (kRoutes).
enum class Route {
  status,           // GET /v1/status
  topic,            // PUT|DELETE /v1/topics/{topic}
  brokers,          // GET /v1/metadata/brokers
  topics,           // GET /v1/metadata/topics
  partitions,       // GET /v1/metadata/topics/{topic}/partitions
  partition,        // GET /v1/metadata/topics/{topic}/partitions/{partition}
  produce,          // POST /v1/producer/topics/{topic}
  consume,          // GET /v1/consumer/topics/{topic}/partitions/{partition}/offsets/{offset}
  oauth_token,      // POST /{tenant}/oauth2/v2.0/token            (development authority)
  oauth_authorize,  // GET  /{tenant}/oauth2/v2.0/authorize        (development authority)
  openid_config,    // GET  /{tenant}/v2.0/.well-known/openid-configuration
  jwks,             // GET  /{tenant}/discovery/v2.0/keys
  health,           // GET /health
  metrics,          // GET /metrics
  unknown,
};
inline constexpr std::size_t kRouteCount = static_cast<std::size_t>(Route::unknown) + 1;

const char* route_name(Route r);
bool is_authority_route(Route r);
bool is_api_route(Route r);  // the /v1 operations
// The Allow header value for a route.
const char* allowed_methods(Route r);
bool method_allowed(Route r, boost::beast::http::verb v);

struct RouteMatch {
  Route route = Route::unknown;
  std::vector<std::string> params;  // decoded path parameters, in path order
  std::string query_count;          // raw value of ?count=, empty when absent
  bool has_count = false;
};

// Throws ProxyError(bad_request) for a target that is not a valid origin-form URL.
RouteMatch match_route(std::string_view target);

}  // namespace krest::proxy
