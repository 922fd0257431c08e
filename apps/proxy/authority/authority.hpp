#pragma once
// The development token authority: the OAuth2 client-credentials grant as Entra ID serves it
// (POST /{tenant}/oauth2/v2.0/token), its OpenID discovery document and JWK set, issuing RS256
// JWTs with the claims HDInsight's proxy sees. For one machine and for tests; not an identity
// provider for production.
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "access/key_source.hpp"
#include "authority/key_ring.hpp"

namespace krest::proxy {

struct RegisteredApp {
  std::string name;
  std::string client_id;
  std::string secret_hash;  // from `krest-proxy --hash-secret`
  std::string object_id;    // the token's oid; defaults to client_id
  std::vector<std::string> groups;
};

struct AuthorityConfig {
  std::string tenant = "krest-dev";
  std::string audience = "https://hib.azurehdinsight.net";
  std::int64_t token_lifetime_s = 3599;  // Entra's usual
  std::int64_t key_rotation_s = 86400;
  std::vector<RegisteredApp> applications;
};

// Reads and checks the authority file. Throws std::invalid_argument naming the file, the field
// and the problem.
AuthorityConfig read_authority_config(const std::string& path);

struct OAuthReply {
  unsigned status = 200;
  std::string body;              // JSON
  std::string www_authenticate;  // set for invalid_client after HTTP Basic client authentication
};

class Authority {
 public:
  // Signing keys live in `key_dir`. Throws std::runtime_error on unreadable keys.
  Authority(AuthorityConfig config, std::filesystem::path key_dir);

  // The base URL clients use (scheme, host, port); set once the port is known, before serving.
  void set_public_url(std::string url);
  std::string authority_url() const;  // <public>/<tenant>: what MSAL is given
  std::string issuer() const;         // <public>/<tenant>/v2.0
  const AuthorityConfig& config() const { return config_; }

  bool knows_tenant(std::string_view tenant) const { return tenant == config_.tenant; }
  OAuthReply issue_token(std::string_view content_type, std::string_view authorization, std::string_view body);
  std::string discovery_document() const;
  std::string jwks_document() const;

  // The published keys, for the proxy's validator in this same process.
  std::unique_ptr<KeySource> key_source();
  KeyRing& keys() { return keys_; }

 private:
  const RegisteredApp* authenticate_client(const std::string& id, const std::string& secret);
  std::string sign_token(const RegisteredApp& app);

  AuthorityConfig config_;
  KeyRing keys_;
  std::string public_url_;
  std::mutex verified_mutex_;  // guards verified_
  // client_id -> SHA-256 of the last secret that passed scrypt, so a client asking again is not
  // charged scrypt every time; a wrong secret always is.
  std::unordered_map<std::string, std::string> verified_;
};

}  // namespace krest::proxy
