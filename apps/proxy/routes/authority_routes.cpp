#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <chrono>

#include "log_text.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

namespace {

Response oauth_response(const Request& req, OAuthReply reply) {
  Response res = json_reply(req, std::move(reply.body), reply.status);
  // RFC 6749 §5.1: token responses must not be cached.
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::pragma, "no-cache");
  if (!reply.www_authenticate.empty()) res.set(http::field::www_authenticate, reply.www_authenticate);
  return res;
}

Response refusal(const Request& req, Authority& authority, const ClientCredentials& credentials,
                 const SecretChecks::Verdict& verdict) {
  using Kind = SecretChecks::Verdict::Kind;
  if (verdict.kind == Kind::refused) return oauth_response(req, authority.refuse_client(credentials));
  const bool throttled = verdict.kind == Kind::throttled;
  Response res = oauth_response(
      req, OAuthReply{throttled ? 429u : 503u,
                      throttled ? R"({"error":"invalid_client","error_description":"too many failed attempts for this )"
                                  R"(client or from this address: try again after Retry-After seconds"})"
                                : R"({"error":"temporarily_unavailable","error_description":"too many secrets are being )"
                                  R"(checked: try again after Retry-After seconds"})",
                      {}});
  res.set(http::field::retry_after, std::to_string(verdict.retry_after.count()));
  return res;
}

}  // namespace

boost::asio::awaitable<Response> authority_route(RouteContext& ctx, const RouteMatch& m, const Request& req,
                                                const std::string& peer) {
  Authority& authority = *ctx.authority;
  const std::string& tenant = m.params.at(0);
  if (!authority.knows_tenant(tenant))
    throw ProxyError(ErrorKind::not_found, "tenant '" + printable(tenant) + "' is not known to this authority");
  switch (m.route) {
    case Route::openid_config: co_return json_reply(req, authority.discovery_document());
    case Route::jwks: co_return json_reply(req, authority.jwks_document());
    case Route::oauth_authorize:
      co_return json_reply(req,
                           R"({"error":"unsupported_response_type","error_description":"this development )"
                           R"(authority serves only the client_credentials grant at the token endpoint"})",
                           400);
    default: break;
  }
  auto asked = authority.read_token_request(req[http::field::content_type], req[http::field::authorization], req.body());
  if (auto* malformed = std::get_if<OAuthReply>(&asked)) co_return oauth_response(req, std::move(*malformed));
  const auto& credentials = std::get<ClientCredentials>(asked);
  const auto verdict = co_await ctx.secret_checks->verify(credentials.client_id, credentials.secret, peer);
  using Kind = SecretChecks::Verdict::Kind;
  if (verdict.kind == Kind::accepted) co_return oauth_response(req, authority.grant(*verdict.app, credentials));
  Response res = refusal(req, authority, credentials, verdict);
  // A tarpit: the refusal waits on a timer, which costs nothing, so a connection guessing secrets
  // gets one answer per delay instead of a thousand a second, each of which would cost the server
  // its TLS record, parse and write. A client that knows its secret never waits here.
  const std::chrono::milliseconds delay(ctx.config.authority_refusal_delay_ms);
  if (delay.count() > 0) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  co_return res;
}

}  // namespace krest::proxy
