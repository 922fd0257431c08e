#pragma once
// Where the proxy's token-signing keys come from: a JWKS file, the authority's discovery document
// (fetched, cached, refreshed), or the development authority in this same process.
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <vector>

#include "access/token_check.hpp"

namespace krest::proxy {

struct TrustedKeys {
  KeyMap keys;
  std::vector<std::string> issuers;  // issuers learned from the source (discovery), possibly none
};

class KeySource {
 public:
  virtual ~KeySource() = default;
  // The current keys; safe from any thread. Null until the keys were first obtained.
  virtual std::shared_ptr<const TrustedKeys> current() const = 0;
  // A token named a key id that current() lacks: look again, if the source's own rate limit
  // allows, and return what is current after that. Callable from any worker's coroutine.
  virtual boost::asio::awaitable<std::shared_ptr<const TrustedKeys>> refresh_for_unknown_key() = 0;
  virtual std::string describe() const = 0;  // for logs: where the keys come from
  // A reload (SIGHUP): a source that is a file reads it again now (so that a key taken out of it
  // stops being trusted at once). Empty when done or nothing to do, else why the keys in use stay.
  virtual std::string reload() { return {}; }
};

// A JWK set in a file, read at start (throws std::runtime_error naming the file on any problem)
// and read again when a token names an unknown key and the file changed since.
std::unique_ptr<KeySource> make_jwks_file_keys(const std::string& path);

}  // namespace krest::proxy

#include <chrono>

#include "krest/tls_options.hpp"

namespace krest::proxy {

struct DiscoveredKeysOptions {
  std::string authority;  // e.g. https://login.microsoftonline.com/<tenant>
  TlsOptions tls;
  std::chrono::milliseconds refresh_interval{3600000};    // routine refresh
  std::chrono::milliseconds min_refresh_interval{10000};  // at most one unknown-kid fetch per this
  std::chrono::milliseconds timeout{10000};               // per HTTP request
};

// Keys from <authority>/v2.0/.well-known/openid-configuration and the jwks_uri it names, fetched
// on a thread of its own: at once, every refresh_interval, and when a token names an unknown key
// (rate-limited, so random key ids cannot make the proxy hammer the authority). The issuer the
// document names is trusted too (and, for login.microsoftonline.com, its v1 twin
// https://sts.windows.net/<tenant>/).
std::unique_ptr<KeySource> make_discovered_keys(DiscoveredKeysOptions options);

}  // namespace krest::proxy
