#include <boost/beast/http/field.hpp>

#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

Response authority_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  Authority& authority = *ctx.authority;
  const std::string& tenant = m.params.at(0);
  if (!authority.knows_tenant(tenant))
    throw ProxyError(ErrorKind::not_found, "tenant '" + tenant + "' is not known to this authority");
  switch (m.route) {
    case Route::openid_config: return json_reply(req, authority.discovery_document());
    case Route::jwks: return json_reply(req, authority.jwks_document());
    case Route::oauth_authorize: {
      Response res = json_reply(req,
                                R"({"error":"unsupported_response_type","error_description":"this development )"
                                R"(authority serves only the client_credentials grant at the token endpoint"})",
                                400);
      return res;
    }
    default: break;
  }
  auto reply = authority.issue_token(req[http::field::content_type], req[http::field::authorization], req.body());
  Response res = json_reply(req, std::move(reply.body), reply.status);
  // RFC 6749 §5.1: token responses must not be cached.
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::pragma, "no-cache");
  if (!reply.www_authenticate.empty()) res.set(http::field::www_authenticate, reply.www_authenticate);
  return res;
}

}  // namespace krest::proxy
