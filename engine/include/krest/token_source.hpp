#pragma once
// OAuth2 access tokens for the proxy: none, a static token, or the client-credentials grant
// against an Entra ID style authority, refreshed in the background before they expire.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "krest/tls_options.hpp"

namespace krest {

struct AuthOptions {
  enum class Mode { none, static_token, client_credentials };
  Mode mode = Mode::none;
  std::string static_token;  // Mode::static_token: sent as "Bearer <static_token>"

  // Mode::client_credentials. "{tenant}" in `authority` is replaced by `tenant`; the token
  // endpoint is <authority>/oauth2/v2.0/token.
  std::string tenant;
  std::string client_id;
  std::string client_secret;  // never logged, never part of an error message
  std::string authority = "https://login.microsoftonline.com/{tenant}";
  std::string scope = "https://hib.azurehdinsight.net/.default";

  // A token is refreshed when refresh_before or refresh_fraction of its lifetime remains,
  // whichever comes later (so a short-lived token is not refreshed continuously), minus up to
  // another half of that margin at random, so that many clients do not refresh in step.
  std::chrono::seconds refresh_before{300};
  double refresh_fraction = 0.10;
  std::chrono::milliseconds request_timeout{10000};  // one token request
  // How long a request waits for a token when none is held (the authority slow or down). Before
  // the first token, an authority that cannot be reached at all (connection refused, unknown
  // host, an untrusted certificate) for 3 s fails the wait then: that is a setting to fix, not a
  // moment to wait out.
  std::chrono::milliseconds wait{30000};
  std::chrono::milliseconds retry_initial{250};      // backoff after a failed refresh, doubling...
  std::chrono::milliseconds retry_max{30000};        // ...up to this
  TlsOptions tls;
};

// Every problem with the options, each naming the field; empty when they are usable.
std::vector<std::string> validate(const AuthOptions& options);

// No token could be had. `permanent()` when the authority refused the credentials or the scope
// (retrying cannot help), otherwise the wait ran out while the authority was unreachable.
class TokenError : public std::runtime_error {
 public:
  TokenError(const std::string& message, bool permanent) : std::runtime_error(message), permanent_(permanent) {}
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

struct TokenStats {
  std::uint64_t acquired = 0;  // tokens obtained from the authority
  std::uint64_t failures = 0;  // token requests that failed
  std::uint64_t forced = 0;    // refreshes forced by the proxy refusing a token
};

// Thread-safe; may be used from coroutines on any executor. Token requests run on a strand of
// the executor given at construction, one at a time however many callers wait.
class TokenSource {
 public:
  // Throws std::invalid_argument listing validate()'s problems. Client credentials: the first
  // token request starts at once.
  TokenSource(boost::asio::any_io_executor ex, AuthOptions options);
  ~TokenSource();  // stop()s
  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // The Authorization header value ("Bearer ..."), empty in Mode::none. Returns at once while
  // an unexpired token is held, even when its refresh is failing; otherwise waits up to
  // AuthOptions::wait for one. Throws TokenError.
  boost::asio::awaitable<std::string> authorization();

  // After the proxy answered 401 to `refused` (a value authorization() returned): a token other
  // than that one, refreshing once however many callers report the same refusal. Throws
  // TokenError; in Mode::static_token, always (the token cannot change).
  boost::asio::awaitable<std::string> reauthorize(const std::string& refused);

  // Where tokens come from (the token endpoint's URL), for messages; empty without one.
  const std::string& token_url() const { return token_url_; }

  void stop();
  TokenStats stats() const;
  std::string last_error() const;  // the most recent failed refresh, for status lines

 private:
  struct State;
  std::shared_ptr<State> state_;
  AuthOptions::Mode mode_;
  std::string static_header_;
  std::chrono::milliseconds wait_;
  std::string token_url_;
};

}  // namespace krest
