#pragma once
// Tokens made to order for tests of the validator: well-formed or deliberately wrong.
#include <boost/json/object.hpp>

#include <chrono>
#include <string>

#include "auth/rsa_key.hpp"

namespace krest::test {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Claims a validator configured with `issuer`, `audience` and `group` accepts.
boost::json::object good_claims(const std::string& issuer, const std::string& audience, const std::string& group);

// A JWT with this exact header and payload and an HS256 signature keyed with `secret` (the
// algorithm-confusion attack uses the RSA public key's text as the secret).
std::string hs256_token(const boost::json::object& header, const boost::json::object& claims,
                        const std::string& secret);

// A JWT with header {"alg":"none"} (and a kid) and an empty signature.
std::string unsigned_token(const boost::json::object& claims, const std::string& kid);

// Writes {"keys":[<public JWK of key>]} with `kid`.
std::string jwks_of(const auth::RsaKey& key, const std::string& kid);

}  // namespace krest::test
