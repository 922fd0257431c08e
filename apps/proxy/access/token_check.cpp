#include "access/token_check.hpp"

#include <boost/json/value.hpp>

#include <algorithm>

#include "auth/jwt.hpp"

namespace krest::proxy {
namespace json = boost::json;
namespace {

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string string_claim(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// NumericDate (RFC 7519 §2): a JSON number of seconds; fractions are allowed and truncated.
bool numeric_claim(const json::object& claims, std::string_view name, std::int64_t& out) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return false;
  if (v->is_int64())
    out = v->as_int64();
  else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    out = static_cast<std::int64_t>(v->as_uint64());
  else if (v->is_double() && v->as_double() > -9e18 && v->as_double() < 9e18)
    out = static_cast<std::int64_t>(v->as_double());
  else
    return false;
  return true;
}

TokenCheck invalid(std::string why) {
  TokenCheck out;
  out.verdict = TokenVerdict::invalid;
  out.reason = std::move(why);
  return out;
}

bool audience_ok(const json::object& claims, const std::vector<std::string>& audiences) {
  const json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) return false;
  if (aud->is_string()) return contains(audiences, aud->get_string());
  if (!aud->is_array()) return false;
  for (const auto& a : aud->as_array())
    if (a.is_string() && contains(audiences, a.get_string())) return true;
  return false;
}

// The token's groups that are among `wanted`.
std::vector<std::string> groups_among(const json::object& claims, const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  const json::value* g = claims.if_contains("groups");
  if (wanted.empty() || g == nullptr || !g->is_array()) return out;
  for (const auto& id : g->as_array())
    if (id.is_string() && contains(wanted, id.get_string()) && !contains(out, id.get_string()))
      out.emplace_back(id.get_string());  // once, however often the claim repeats it
  return out;
}

bool in_allowed_group(const json::object& claims, const std::vector<std::string>& groups) {
  const json::value* g = claims.if_contains("groups");
  if (g == nullptr || !g->is_array()) return false;
  for (const auto& id : g->as_array())
    if (id.is_string() && contains(groups, id.get_string())) return true;
  return false;
}

}  // namespace

TokenCheck check_time(const TokenCheck& cached, const TokenPolicy& policy, std::int64_t now) {
  // The distance and the tolerance are in the message: a steady stream of these with the same
  // distance is a clock out of step (here or at the authority), not a client holding old tokens.
  // now - skew, not exp + skew: an exp of 2^63-1 must not overflow into the past.
  if (now - policy.clock_skew_s > cached.expires_at)
    return invalid("the token has expired (" + std::to_string(now - cached.expires_at) +
                   " s ago by this server's clock, tolerance " + std::to_string(policy.clock_skew_s) + " s)");
  if (cached.not_before != 0 && now + policy.clock_skew_s < cached.not_before)
    return invalid("the token is not valid yet (its nbf is " + std::to_string(cached.not_before - now) +
                   " s ahead of this server's clock, tolerance " + std::to_string(policy.clock_skew_s) +
                   " s: are the clocks in step?)");
  return cached;
}

TokenCheck check_token(std::string_view token, const KeyMap& keys, const TokenPolicy& policy, std::int64_t now) {
  std::string why;
  auto jwt = auth::decode_jwt(token, why);
  if (!jwt) return invalid(why);
  // The algorithm is fixed by us, never chosen by the token: "none", HS256 keyed with our public
  // key, and every other substitution fail here, before any key is touched.
  if (jwt->alg != "RS256") return invalid("signing algorithm '" + jwt->alg + "' is not accepted (only RS256)");
  if (jwt->header.contains("crit")) return invalid("the token has critical header extensions this proxy does not know");
  if (jwt->kid.empty()) return invalid("the token has no key id (kid)");
  auto key = keys.find(jwt->kid);
  if (key == keys.end()) {
    TokenCheck unknown;
    unknown.verdict = TokenVerdict::unknown_key;
    unknown.reason = "the token's signing key '" + jwt->kid + "' is not known";
    return unknown;
  }
  if (!key->second.verify_sha256(jwt->signing_input, jwt->signature))
    return invalid("the token's signature does not verify");

  const auto& claims = jwt->claims;
  TokenCheck out;
  if (!numeric_claim(claims, "exp", out.expires_at)) return invalid("the token has no valid exp claim");
  if (claims.contains("nbf") && !numeric_claim(claims, "nbf", out.not_before))
    return invalid("the token's nbf claim is not a number");
  if (!contains(policy.issuers, string_claim(claims, "iss"))) return invalid("the token's issuer is not accepted");
  if (!audience_ok(claims, policy.audiences)) return invalid("the token's audience is not this proxy");
  for (const char* name : {"appid", "azp", "oid"})
    if (out.principal = string_claim(claims, name); !out.principal.empty()) break;
  out.groups = groups_among(claims, policy.quota_groups);

  out.verdict = TokenVerdict::accepted;
  const bool allowed = in_allowed_group(claims, policy.allowed_groups) ||
                       contains(policy.allowed_principals, string_claim(claims, "oid")) ||
                       contains(policy.allowed_principals, string_claim(claims, "appid")) ||
                       contains(policy.allowed_principals, string_claim(claims, "azp"));
  if (!allowed) {
    out.verdict = TokenVerdict::forbidden;
    out.reason = "application '" + out.principal + "' is not a member of an allowed group";
  }
  // Time last: an expired token of a forbidden caller still reads as expired (401: get a new one).
  if (auto timed = check_time(out, policy, now); timed.verdict == TokenVerdict::invalid) return timed;
  return out;
}

}  // namespace krest::proxy
