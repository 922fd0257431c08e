#pragma once
// An RSA key (public, or a private one with its public half) for RS256: generated, read from
// and written to PEM, exported to and imported from a JWK's n and e. Keeps OpenSSL's headers
// out of its users. Copies share the key; signing and verifying are safe from many threads.
#include <memory>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace krest::auth {

class RsaKey {
 public:
  // Throws std::runtime_error with OpenSSL's reason on failure.
  static RsaKey generate(int bits = 2048);
  static RsaKey from_private_pem(std::string_view pem);
  // n and e as big-endian unsigned bytes (a JWK's fields, base64url-decoded).
  static RsaKey from_public_numbers(std::string_view n, std::string_view e);

  std::string private_pem() const;
  std::string modulus() const;   // big-endian bytes
  std::string exponent() const;  // big-endian bytes
  int bits() const;
  bool has_private() const { return private_; }

  // RSASSA-PKCS1-v1_5 with SHA-256 (RS256).
  std::string sign_sha256(std::string_view data) const;
  bool verify_sha256(std::string_view data, std::string_view signature) const;

 private:
  RsaKey(evp_pkey_st* key, bool has_private);
  std::shared_ptr<evp_pkey_st> key_;
  bool private_ = false;
};

}  // namespace krest::auth
