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
#include <variant>
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

// What a token request asks, once its form is read and checked.
struct ClientCredentials {
  std::string client_id;
  std::string secret;
  std::string scope;
  bool basic = false;  // the credentials came in HTTP Basic
};

class Authority {
 public:
  // Signing keys live in `key_dir`. Throws std::runtime_error on unreadable keys.
  Authority(AuthorityConfig config, std::filesystem::path key_dir);

  // The base URL clients use (scheme, host, port); set once the port is known, before serving.
  void set_public_url(std::string url);
  std::string authority_url() const;  // <public>/<tenant>: what MSAL is given
  std::string issuer() const;         // <public>/<tenant>/v2.0
  // The settings it started with (`applications` as at start: see applications()).
  const AuthorityConfig& config() const { return config_; }
  // The registered applications now.
  std::shared_ptr<const std::vector<RegisteredApp>> applications() const;
  // A reload (SIGHUP): `fresh`'s applications replace the registered ones for every request from
  // now on (tokens issued before keep their claims until they expire; an application removed
  // loses access at once, as is_registered() says). The other settings take a restart: returns
  // those that differ, by name, and keeps them.
  std::vector<std::string> replace_applications(const AuthorityConfig& fresh);

  bool knows_tenant(std::string_view tenant) const { return tenant == config_.tenant; }

  // The token endpoint in three steps, so that the costly middle one (the secret) can run where
  // the caller decides (authority/secret_checks.hpp): the request read and checked — its
  // credentials, or the reply refusing it (400) —, then the reply for credentials that passed or
  // failed.
  std::variant<ClientCredentials, OAuthReply> read_token_request(std::string_view content_type,
                                                                 std::string_view authorization,
                                                                 std::string_view body) const;
  OAuthReply grant(const RegisteredApp& app, const ClientCredentials& asked);
  OAuthReply refuse_client(const ClientCredentials& asked) const;
  // All three on this thread, the secret checked here (for tests and tools).
  OAuthReply issue_token(std::string_view content_type, std::string_view authorization, std::string_view body);

  // Kept alive for the caller through a reload that removes it.
  std::shared_ptr<const RegisteredApp> find_application(std::string_view client_id) const;
  // Whether this client's application is still registered (a token it holds stops working once it
  // is not).
  bool is_registered(std::string_view client_id) const { return find_application(client_id) != nullptr; }
  // The secret passed scrypt against `app`'s hash before (only its SHA-256 is kept), so it need
  // not pay again. Tied to the hash it passed: once a reload changes an application's secret,
  // what passed against the old one has to pass again.
  bool verified_before(const RegisteredApp& app, std::string_view secret);
  void remember_verified(const RegisteredApp& app, std::string_view secret);
  // A hash of the registered apps' cost that no secret matches: what an unknown client id is
  // checked against, so that timing does not tell which ids exist.
  const std::string& stand_in_hash() const { return stand_in_hash_; }
  std::string discovery_document() const;
  std::string jwks_document() const;

  // The published keys, for the proxy's validator in this same process.
  std::unique_ptr<KeySource> key_source();
  KeyRing& keys() { return keys_; }

 private:
  std::string sign_token(const RegisteredApp& app);

  AuthorityConfig config_;
  mutable std::mutex apps_mutex_;  // guards apps_ (the pointer; what it points to never changes)
  std::shared_ptr<const std::vector<RegisteredApp>> apps_;
  KeyRing keys_;
  std::string public_url_;
  std::mutex verified_mutex_;  // guards verified_
  // client_id -> the hash it passed against and the SHA-256 of the last secret that passed
  // scrypt, so a client asking again is not charged scrypt every time; a wrong secret always is.
  struct Verified {
    std::string secret_hash;
    std::string digest;
  };
  std::unordered_map<std::string, Verified> verified_;
  std::string stand_in_hash_;
};

}  // namespace krest::proxy
