#pragma once
// Whether one bearer token may use the proxy: the pure decision, with no I/O and no cache, so
// every rule is tested directly. The Authenticator adds key fetching and caching around it.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "auth/rsa_key.hpp"

namespace krest::proxy {

struct TokenPolicy {
  std::vector<std::string> issuers;             // accepted "iss" values
  std::vector<std::string> audiences;           // accepted "aud" values (any one of an array)
  std::vector<std::string> allowed_groups;      // a "groups" entry in here authorizes...
  std::vector<std::string> allowed_principals;  // ...as does an "oid", "appid" or "azp" in here
  std::int64_t clock_skew_s = 60;
  // Groups with a quota of their own (quota_groups): a token's membership in these is kept.
  std::vector<std::string> quota_groups;
};

using KeyMap = std::map<std::string, auth::RsaKey>;

enum class TokenVerdict {
  accepted,
  unknown_key,  // signed with a kid not in the keys: fetch the keys again, then decide
  invalid,      // 401 invalid_token
  forbidden,    // 403: a valid token whose principal is not allowed
};

struct TokenCheck {
  TokenVerdict verdict = TokenVerdict::invalid;
  std::string reason;           // for the 401/403 body and the log; never contains the token
  std::string principal;        // appid/azp/oid of a validly signed token
  std::int64_t expires_at = 0;  // "exp" of a validly signed token
  std::int64_t not_before = 0;  // "nbf", 0 when absent
  std::vector<std::string> groups;  // the token's "groups" among policy.quota_groups
};

// `now` is seconds since the Unix epoch.
TokenCheck check_token(std::string_view token, const KeyMap& keys, const TokenPolicy& policy, std::int64_t now);

// The time rules alone, for a cached verdict: accepted at `now` or why not.
TokenCheck check_time(const TokenCheck& cached, const TokenPolicy& policy, std::int64_t now);

}  // namespace krest::proxy
