#include "support/jwt_forge.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "auth/base64url.hpp"
#include "auth/jwt.hpp"

namespace krest::test {
namespace json = boost::json;

json::object good_claims(const std::string& issuer, const std::string& audience, const std::string& group) {
  const auto now = unix_now();
  return json::object{{"iss", issuer},    {"aud", audience},  {"iat", now},
                      {"nbf", now - 1},   {"exp", now + 600}, {"tid", "tenant-1"},
                      {"appid", "app-1"}, {"oid", "oid-1"},   {"groups", json::array{"other-group", group}}};
}

std::string hs256_token(const json::object& header, const json::object& claims, const std::string& secret) {
  std::string input =
      auth::base64url_encode(json::serialize(header)) + "." + auth::base64url_encode(json::serialize(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
  return input + "." + auth::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), size));
}

std::string unsigned_token(const json::object& claims, const std::string& kid) {
  json::object header{{"alg", "none"}, {"typ", "JWT"}, {"kid", kid}};
  return auth::base64url_encode(json::serialize(header)) + "." + auth::base64url_encode(json::serialize(claims)) + ".";
}

std::string jwks_of(const auth::RsaKey& key, const std::string& kid) {
  return json::serialize(json::object{{"keys", json::array{auth::public_jwk(key, kid)}}});
}

}  // namespace krest::test
