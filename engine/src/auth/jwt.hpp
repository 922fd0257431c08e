#pragma once
// Compact JWS tokens (RFC 7515/7519) signed with RS256, and JWK sets (RFC 7517) of RSA keys.
// Decoding only splits and parses; what makes a token acceptable is the validator's business.
#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/rsa_key.hpp"

namespace krest::auth {

struct DecodedJwt {
  boost::json::object header;
  boost::json::object claims;
  std::string alg;                 // header "alg", as written
  std::string kid;                 // header "kid", empty when absent
  std::string_view signing_input;  // "<header>.<payload>" inside the token passed to decode_jwt
  std::string signature;           // raw bytes
};

// Nullopt, with the reason in `why`, unless the token is three base64url parts whose first two
// are JSON objects. The result's signing_input points into `token`.
std::optional<DecodedJwt> decode_jwt(std::string_view token, std::string& why);

// Signs claims as an RS256 JWT with header {"alg":"RS256","typ":"JWT","kid":kid}.
std::string encode_rs256(const boost::json::object& claims, const RsaKey& key, std::string_view kid);

// The public JWK of a key: {"kty":"RSA","use":"sig","alg":"RS256","kid":..,"n":..,"e":..}.
boost::json::object public_jwk(const RsaKey& key, std::string_view kid);

// The RS256 signing keys of a JWK set, by kid. Keys for other uses, types or algorithms are
// skipped, as RFC 7517 §5 lets a reader do; keys under 2048 bits are refused. Throws
// std::invalid_argument naming the problem when the document is not a JWK set.
std::map<std::string, RsaKey> parse_jwks(std::string_view json);

}  // namespace krest::auth
