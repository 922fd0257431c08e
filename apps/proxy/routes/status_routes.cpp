#include <boost/beast/http/field.hpp>

#include "metrics/prometheus.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

Response status_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  if (m.route == Route::metrics) {
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, metrics::kPrometheusContentType);
    res.body() = ctx.metrics.render();
    ctx.storage.append_metrics(res.body());
    if (ctx.authenticator) ctx.authenticator->append_metrics(res.body());
    if (ctx.quotas && ctx.quotas->enabled()) ctx.quotas->append_metrics(res.body());
    res.prepare_payload();
    return res;
  }
  // /v1/status and /health: healthy when the backend can serve (for Kafka: the brokers answer).
  if (auto why = ctx.storage.unhealthy(); !why.empty())
    throw ProxyError(ErrorKind::unavailable, "the backend cannot serve now: " + why);
  return json_reply(req, "{\"status\":\"OK\"}");
}

}  // namespace krest::proxy
