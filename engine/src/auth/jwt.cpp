#include "auth/jwt.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

#include "auth/base64url.hpp"

namespace krest::auth {
namespace json = boost::json;
namespace {

std::optional<json::object> decode_object(std::string_view part, const char* what, std::string& why) {
  auto bytes = base64url_decode(part);
  if (!bytes) {
    why = std::string(what) + " is not base64url";
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(*bytes, ec);
  if (ec || !v.is_object()) {
    why = std::string(what) + " is not a JSON object";
    return std::nullopt;
  }
  return std::move(v.as_object());
}

std::string string_member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

}  // namespace

std::optional<DecodedJwt> decode_jwt(std::string_view token, std::string& why) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    why = "not a JWT (expected three dot-separated parts)";
    return std::nullopt;
  }
  DecodedJwt jwt;
  auto header = decode_object(token.substr(0, first), "the JWT header", why);
  if (!header) return std::nullopt;
  auto claims = decode_object(token.substr(first + 1, second - first - 1), "the JWT payload", why);
  if (!claims) return std::nullopt;
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) {
    why = "the JWT signature is not base64url";
    return std::nullopt;
  }
  jwt.header = std::move(*header);
  jwt.claims = std::move(*claims);
  jwt.alg = string_member(jwt.header, "alg");
  jwt.kid = string_member(jwt.header, "kid");
  jwt.signing_input = token.substr(0, second);
  jwt.signature = std::move(*signature);
  return jwt;
}

std::string encode_rs256(const json::object& claims, const RsaKey& key, std::string_view kid) {
  json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}};
  std::string token = base64url_encode(json::serialize(header));
  token += '.';
  token += base64url_encode(json::serialize(claims));
  const std::string signature = key.sign_sha256(token);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

json::object public_jwk(const RsaKey& key, std::string_view kid) {
  return json::object{{"kty", "RSA"},
                      {"use", "sig"},
                      {"alg", "RS256"},
                      {"kid", kid},
                      {"n", base64url_encode(key.modulus())},
                      {"e", base64url_encode(key.exponent())}};
}

std::map<std::string, RsaKey> parse_jwks(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) throw std::invalid_argument("the JWK set is not JSON: " + ec.message());
  const auto* keys = doc.is_object() ? doc.as_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) throw std::invalid_argument("the JWK set has no \"keys\" array");
  std::map<std::string, RsaKey> out;
  for (const auto& entry : keys->as_array()) {
    if (!entry.is_object()) throw std::invalid_argument("a JWK set entry is not an object");
    const auto& jwk = entry.as_object();
    if (string_member(jwk, "kty") != "RSA") continue;
    if (auto use = string_member(jwk, "use"); !use.empty() && use != "sig") continue;
    if (auto alg = string_member(jwk, "alg"); !alg.empty() && alg != "RS256") continue;
    const std::string kid = string_member(jwk, "kid");
    auto n = base64url_decode(string_member(jwk, "n"));
    auto e = base64url_decode(string_member(jwk, "e"));
    if (kid.empty() || !n || !e || n->empty() || e->empty())
      throw std::invalid_argument("a JWK set RSA entry lacks a valid kid, n or e");
    RsaKey key = RsaKey::from_public_numbers(*n, *e);
    if (key.bits() < 2048)
      throw std::invalid_argument("JWK '" + kid + "' has a " + std::to_string(key.bits()) +
                                  "-bit modulus; RS256 keys must have at least 2048 bits");
    out.insert_or_assign(kid, std::move(key));
  }
  return out;
}

}  // namespace krest::auth
