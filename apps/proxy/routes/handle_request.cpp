#include <spdlog/spdlog.h>
#include <boost/beast/http/field.hpp>

#include <openssl/rand.h>

#include <chrono>
#include <cstdio>

#include "log_text.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {

namespace {

boost::asio::awaitable<Response> dispatch(RouteContext& ctx, const RouteMatch& m, Request& req,
                                          const std::string& peer) {
  switch (m.route) {
    case Route::produce: co_return co_await produce_route(ctx, m, req);
    case Route::consume: co_return co_await consume_route(ctx, m, req);
    case Route::topic: co_return co_await topic_route(ctx, m, req);
    case Route::brokers:
    case Route::topics:
    case Route::partitions:
    case Route::partition: co_return co_await metadata_route(ctx, m, req);
    case Route::oauth_token:
    case Route::oauth_authorize:
    case Route::openid_config:
    case Route::jwks: co_return co_await authority_route(ctx, m, req, peer);
    default: co_return status_route(ctx, m, req);
  }
}

struct Failure {
  unsigned status;
  std::string message;
  std::string www_authenticate;
  std::string retry_after;
};

// Whether the route exists here: the API unless serve_api is off, the authority when configured.
bool served(const RouteContext& ctx, Route r) {
  if (is_authority_route(r)) return ctx.authority != nullptr;
  if (is_api_route(r)) return ctx.config.serve_api;
  return true;
}

bool needs_token(const RouteContext& ctx, Route r) {
  if (ctx.authenticator == nullptr || !is_api_route(r)) return false;
  return r != Route::status || ctx.config.auth_status_requires_token;
}

// The checks that need only the request's header: route, method, token. A failure to send, or
// nullopt when the request may go to its handler.
// Who asks: the token's application or object id (empty without a token), and its groups that
// have a quota of their own.
struct Caller {
  std::string principal;
  std::vector<std::string> groups;
};

boost::asio::awaitable<std::optional<Failure>> admit(RouteContext& ctx, const Request& req, RouteMatch& m,
                                                     Caller& caller) {
  m = match_route(req.target());
  if (m.route == Route::unknown || !served(ctx, m.route))
    co_return Failure{404, "no such path: " + std::string(req.target()), {}, {}};
  if (!method_allowed(m.route, req.method()))
    co_return Failure{
        405, std::string(req.method_string()) + " is not allowed here; allowed: " + allowed_methods(m.route), {}, {}};
  if (needs_token(ctx, m.route)) {
    AuthOutcome auth = co_await ctx.authenticator->authenticate(req[boost::beast::http::field::authorization]);
    if (auth.status != 0) co_return Failure{auth.status, std::move(auth.message), std::move(auth.www_authenticate), {}};
    caller.principal = std::move(auth.principal);
    caller.groups = std::move(auth.groups);
  }
  co_return std::nullopt;
}

Response failure_reply(const Request& req, const RouteMatch& m, const Failure& failure) {
  Response res = error_reply(req.version(), failure.status, failure.message);
  if (failure.status == 405) res.set(boost::beast::http::field::allow, allowed_methods(m.route));
  if (!failure.www_authenticate.empty()) res.set(boost::beast::http::field::www_authenticate, failure.www_authenticate);
  if (!failure.retry_after.empty()) res.set(boost::beast::http::field::retry_after, failure.retry_after);
  return res;
}

// A short random name for one failure, to find it in the log.
std::string incident_id() {
  unsigned char bytes[6];
  RAND_bytes(bytes, sizeof bytes);
  char text[13];
  for (std::size_t i = 0; i < sizeof bytes; ++i) std::snprintf(text + 2 * i, 3, "%02x", bytes[i]);
  return text;
}

CallerQuotas::Kind quota_kind(Route r) {
  if (r == Route::produce) return CallerQuotas::Kind::produce;
  if (r == Route::consume) return CallerQuotas::Kind::consume;
  return CallerQuotas::Kind::other;
}

// Quotas count the API's callers (the token's principal, or the address without auth), once any is set.
bool quotas_apply(const RouteContext& ctx, Route route) {
  return ctx.quotas != nullptr && ctx.quotas->enabled() && is_api_route(route);
}

// `screening`: from the header, before the body is read; the request is counted when it is admitted.
std::optional<Failure> over_quota(RouteContext& ctx, const Caller& caller, Route route, bool screening) {
  if (!quotas_apply(ctx, route)) return std::nullopt;
  const auto kind = quota_kind(route);
  const auto now = CallerQuotas::Clock::now();
  const auto refusal = screening ? ctx.quotas->screen(caller.principal, caller.groups, kind, now)
                                 : ctx.quotas->admit(caller.principal, caller.groups, kind, now);
  if (!refusal) return std::nullopt;
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.0f", refusal->rate);
  const std::string whose = refusal->group.empty()
                                ? "caller '" + printable(caller.principal) + "' is over its quota"
                                : "group '" + printable(refusal->group) + "' (of caller '" +
                                      printable(caller.principal) + "') is over its shared quota";
  return Failure{429, whose + " of " + rate + " " + refusal->quota + ": try again after Retry-After seconds", {},
                 std::to_string(refusal->retry_after.count())};
}

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

boost::asio::awaitable<std::optional<Response>> screen_request(RouteContext& ctx, const Request& header,
                                                               const std::string& peer) {
  const auto started = std::chrono::steady_clock::now();
  RouteMatch m;
  std::optional<Failure> failure;
  Caller caller;
  try {
    failure = co_await admit(ctx, header, m, caller);
    if (caller.principal.empty()) caller.principal = peer;
    if (!failure) failure = over_quota(ctx, caller, m.route, true);
  } catch (const ProxyError& e) {
    failure = Failure{static_cast<unsigned>(http_status(e.kind())), e.what(), {}, {}};
  }
  if (!failure) co_return std::nullopt;
  Response res = failure_reply(header, m, *failure);
  ctx.metrics.record_request(m.route, res.result_int(), seconds_since(started));
  co_return res;
}

boost::asio::awaitable<Response> handle_request(RouteContext& ctx, Request& req, const std::string& peer) {
  const auto started = std::chrono::steady_clock::now();
  const std::size_t body_bytes = req.body().size();  // the produce route frees the body
  RouteMatch m;
  Response res;
  // co_await is not allowed inside a catch block, so failures are carried out of the try as text.
  std::optional<Failure> failure;
  Caller caller;
  try {
    failure = co_await admit(ctx, req, m, caller);
    if (caller.principal.empty()) caller.principal = peer;
    if (!failure) failure = over_quota(ctx, caller, m.route, false);
    if (!failure) {
      res = co_await dispatch(ctx, m, req, peer);
      if (quotas_apply(ctx, m.route)) {
        const auto kind = quota_kind(m.route);
        const std::size_t moved = kind == CallerQuotas::Kind::produce ? body_bytes : res.body().size();
        ctx.quotas->charge(caller.principal, caller.groups, kind, moved, CallerQuotas::Clock::now());
      }
    }
  } catch (const ProxyError& e) {
    failure = Failure{static_cast<unsigned>(http_status(e.kind())), e.what(), {}, {}};
  } catch (const std::exception& e) {
    // The details (a path in the data directory, an errno) go to the log, not to the client.
    const std::string id = incident_id();
    spdlog::error("incident {}: {} {}: {}", id, std::string(req.method_string()), printable(req.target()), e.what());
    failure = Failure{500, "internal error, incident " + id + " (the proxy's log has the details)", {}, {}};
  }
  if (failure) res = failure_reply(req, m, *failure);
  ctx.metrics.record_request(m.route, res.result_int(), seconds_since(started));
  co_return res;
}

}  // namespace krest::proxy
