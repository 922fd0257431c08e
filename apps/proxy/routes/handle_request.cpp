#include <spdlog/spdlog.h>
#include <boost/beast/http/field.hpp>

#include <chrono>

#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {

namespace {

boost::asio::awaitable<Response> dispatch(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  switch (m.route) {
    case Route::produce: co_return co_await produce_route(ctx, m, req);
    case Route::consume: co_return co_await consume_route(ctx, m, req);
    case Route::topic: co_return topic_route(ctx, m, req);
    case Route::brokers:
    case Route::topics:
    case Route::partitions:
    case Route::partition: co_return metadata_route(ctx, m, req);
    default: co_return status_route(ctx, m, req);
  }
}

}  // namespace

boost::asio::awaitable<Response> handle_request(RouteContext& ctx, const Request& req) {
  const auto started = std::chrono::steady_clock::now();
  RouteMatch m;
  Response res;
  // co_await is not allowed inside a catch block, so failures are carried out of the try as text.
  std::optional<std::pair<unsigned, std::string>> failure;
  try {
    m = match_route(req.target());
    if (m.route == Route::unknown) {
      failure.emplace(404, "no such path: " + std::string(req.target()));
    } else if (!method_allowed(m.route, req.method())) {
      failure.emplace(405,
                      std::string(req.method_string()) + " is not allowed here; allowed: " + allowed_methods(m.route));
    } else {
      res = co_await dispatch(ctx, m, req);
    }
  } catch (const ProxyError& e) {
    failure.emplace(static_cast<unsigned>(http_status(e.kind())), e.what());
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", std::string(req.method_string()), std::string(req.target()), e.what());
    failure.emplace(500, std::string("internal error: ") + e.what());
  }
  if (failure) {
    res = error_reply(req.version(), failure->first, failure->second);
    if (failure->first == 405) res.set(boost::beast::http::field::allow, allowed_methods(m.route));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ctx.metrics.record_request(m.route, res.result_int(), seconds);
  co_return res;
}

}  // namespace krest::proxy
