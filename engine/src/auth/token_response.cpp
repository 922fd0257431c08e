#include "auth/token_response.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdlib>

namespace krest::auth {
namespace {

namespace json = boost::json;

// RFC 6749 §5.2 errors that say the request itself is wrong: asking again cannot help.
bool permanent_oauth_error(std::string_view code) {
  return code == "invalid_client" || code == "invalid_scope" || code == "unauthorized_client" ||
         code == "invalid_grant" || code == "unsupported_grant_type" || code == "invalid_request";
}

}  // namespace

TokenResponse read_token_response(int status, std::string_view body) {
  TokenResponse out;
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  const json::object* o = !ec && doc.is_object() ? &doc.as_object() : nullptr;
  auto text = [&](std::string_view key) -> std::string {
    const json::value* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (status != 200) {
    const std::string code = text("error");
    out.error = "the authority answered " + std::to_string(status) + (code.empty() ? std::string() : " " + code) +
                (text("error_description").empty() ? std::string() : ": " + text("error_description"));
    out.permanent = (status == 400 || status == 401) && permanent_oauth_error(code);
    return out;
  }
  out.token = text("access_token");
  // Entra's v1 endpoint sends expires_in as a string, v2 as a number.
  const json::value* expires = o ? o->if_contains("expires_in") : nullptr;
  std::int64_t seconds = 0;
  if (expires && expires->is_int64()) seconds = expires->as_int64();
  if (expires && expires->is_string()) seconds = std::atoll(expires->as_string().c_str());
  const std::string type = text("token_type");
  if (out.token.empty() || seconds <= 0 || (!type.empty() && !boost::beast::iequals(type, "Bearer"))) {
    out.token.clear();
    out.error = "the authority's token response lacks a bearer access_token with a positive expires_in";
  }
  out.lifetime = std::chrono::seconds(seconds);
  return out;
}

}  // namespace krest::auth
