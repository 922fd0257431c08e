#pragma once
// Decides whether a request's Authorization header lets it use the API. A verified token's
// verdict is cached until the token expires, so a keep-alive client pays one RSA verification per
// token, not per request. Thread-safe: every worker calls it.
#include <boost/asio/awaitable.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "access/key_source.hpp"
#include "access/token_check.hpp"

namespace krest::proxy {

struct AuthOutcome {
  unsigned status = 0;           // 0: allowed; otherwise 401, 403 or 503
  std::string www_authenticate;  // for 401 and 403
  std::string message;           // for the error body and the log; never the token
  std::string principal;
  std::vector<std::string> groups;  // the token's groups that have a quota (quota_groups)
};

class Authenticator {
 public:
  // policy.issuers empty: the issuers the key source learns (discovery) are accepted.
  Authenticator(TokenPolicy policy, std::unique_ptr<KeySource> keys, std::size_t cache_entries = 20000);

  boost::asio::awaitable<AuthOutcome> authenticate(std::string_view authorization);

  // Tokens of a principal this says is no longer registered are refused, cached or not: what the
  // development authority in this process sets, so that an application removed from its file loses
  // access at once, not when its tokens expire. (An external authority cannot be asked.)
  void require_registered(std::function<bool(std::string_view principal)> still_registered) {
    still_registered_ = std::move(still_registered);
  }

  // A reload (SIGHUP): tokens are judged by `fresh` (issuers, audiences, allowed groups and
  // principals, clock skew) from now on, verdicts cached under the old policy forgotten.
  void replace_policy(TokenPolicy fresh);

  const KeySource& keys() const { return *keys_; }
  KeySource& keys() { return *keys_; }
  // Prometheus text for /metrics.
  void append_metrics(std::string& out) const;

 private:
  static constexpr std::size_t kShards = 16;
  // Lookups by string_view, so the hot path does not copy the token.
  struct TokenHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::mutex mutex;  // guards entries
    std::unordered_map<std::string, TokenCheck, TokenHash, std::equal_to<>> entries;
  };

  AuthOutcome verdict_outcome(const TokenCheck& check) const;
  TokenCheck unless_unregistered(TokenCheck check) const;
  Shard& shard_for(std::string_view token);
  // Cached only while `judged_by` is still the policy: a verdict reached under a policy a reload
  // replaced meanwhile is not kept.
  void remember(std::string_view token, const TokenCheck& check, std::int64_t now,
                const std::shared_ptr<const TokenPolicy>& judged_by);
  std::shared_ptr<const TokenPolicy> policy() const {
    std::lock_guard lock(policy_mutex_);
    return policy_;
  }

  mutable std::mutex policy_mutex_;
  std::shared_ptr<const TokenPolicy> policy_;  // swapped whole by replace_policy(); guarded by policy_mutex_
  std::unique_ptr<KeySource> keys_;
  std::size_t shard_capacity_;
  std::function<bool(std::string_view)> still_registered_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> verifications_{0}, cache_hits_{0}, rejected_401_{0}, rejected_403_{0}, unavailable_{0};
};

}  // namespace krest::proxy
