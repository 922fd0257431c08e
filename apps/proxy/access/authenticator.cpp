#include "access/authenticator.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/core/string.hpp>

#include <chrono>
#include <functional>

#include "metrics/prometheus.hpp"

namespace krest::proxy {
namespace {

constexpr std::string_view kRealm = "Bearer realm=\"krest-proxy\"";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// RFC 6750 §3: the error description is a quoted-string of printable ASCII without '"' or '\'.
std::string challenge(std::string_view error, std::string_view description) {
  std::string out(kRealm);
  out += ", error=\"";
  out += error;
  out += "\", error_description=\"";
  for (char c : description)
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out += c;
  out += '"';
  return out;
}

}  // namespace

Authenticator::Authenticator(TokenPolicy policy, std::unique_ptr<KeySource> keys, std::size_t cache_entries)
    : policy_(std::make_shared<const TokenPolicy>(std::move(policy))),
      keys_(std::move(keys)),
      shard_capacity_(std::max<std::size_t>(cache_entries / kShards, 1)) {}

Authenticator::Shard& Authenticator::shard_for(std::string_view token) {
  // The low bits choose the bucket inside the shard; the shard takes bits the buckets use less.
  return shards_[(TokenHash{}(token) >> 20) % kShards];
}

void Authenticator::replace_policy(TokenPolicy fresh) {
  auto policy = std::make_shared<const TokenPolicy>(std::move(fresh));
  {
    std::lock_guard lock(policy_mutex_);
    policy_ = std::move(policy);
  }
  // After the swap: what remember() adds from here on was judged by the new policy or is refused.
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    shard.entries.clear();
  }
}

void Authenticator::remember(std::string_view token, const TokenCheck& check, std::int64_t now,
                             const std::shared_ptr<const TokenPolicy>& judged_by) {
  auto& shard = shard_for(token);
  std::lock_guard lock(shard.mutex);
  if (policy() != judged_by) return;
  if (shard.entries.size() >= shard_capacity_) {
    std::erase_if(shard.entries, [&](const auto& e) { return e.second.expires_at + judged_by->clock_skew_s < now; });
    // Still full of live tokens (an unusual number of clients): start over rather than grow.
    if (shard.entries.size() >= shard_capacity_) shard.entries.clear();
  }
  shard.entries.insert_or_assign(std::string(token), check);
}

TokenCheck Authenticator::unless_unregistered(TokenCheck check) const {
  const bool valid = check.verdict == TokenVerdict::accepted || check.verdict == TokenVerdict::forbidden;
  if (valid && still_registered_ && !still_registered_(check.principal)) {
    check.verdict = TokenVerdict::invalid;
    check.reason = "application '" + check.principal + "' is no longer registered with this authority";
  }
  return check;
}

AuthOutcome Authenticator::verdict_outcome(const TokenCheck& check) const {
  AuthOutcome out;
  out.principal = check.principal;
  out.groups = check.groups;
  switch (check.verdict) {
    case TokenVerdict::accepted: return out;
    case TokenVerdict::forbidden:
      out.status = 403;
      out.www_authenticate = challenge("insufficient_scope", check.reason);
      break;
    case TokenVerdict::unknown_key:
    case TokenVerdict::invalid:
      out.status = 401;
      out.www_authenticate = challenge("invalid_token", check.reason);
      break;
  }
  out.message = check.reason;
  return out;
}

namespace {

AuthOutcome refused(unsigned status, std::string www_authenticate, std::string message) {
  AuthOutcome out;
  out.status = status;
  out.www_authenticate = std::move(www_authenticate);
  out.message = std::move(message);
  return out;
}

}  // namespace

boost::asio::awaitable<AuthOutcome> Authenticator::authenticate(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  if (header.empty()) {
    rejected_401_.fetch_add(1, std::memory_order_relaxed);
    AuthOutcome missing = refused(401, std::string(kRealm), "this API requires an Authorization: Bearer <token> header");
    co_return missing;
  }
  if (header.size() < 7 || !boost::beast::iequals(header.substr(0, 7), "Bearer ")) {
    rejected_401_.fetch_add(1, std::memory_order_relaxed);
    AuthOutcome not_bearer = refused(401, challenge("invalid_request", "the Authorization scheme must be Bearer"),
                                     "the Authorization header must be 'Bearer <token>'");
    co_return not_bearer;
  }
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);

  const std::int64_t now = unix_now();
  {
    auto& shard = shard_for(token);
    std::unique_lock lock(shard.mutex);
    if (auto it = shard.entries.find(token); it != shard.entries.end()) {
      TokenCheck cached = it->second;
      lock.unlock();
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      auto outcome = verdict_outcome(unless_unregistered(check_time(cached, *policy(), now)));
      if (outcome.status == 401) rejected_401_.fetch_add(1, std::memory_order_relaxed);
      if (outcome.status == 403) rejected_403_.fetch_add(1, std::memory_order_relaxed);
      co_return outcome;
    }
  }

  auto trusted = keys_->current();
  if (!trusted) trusted = co_await keys_->refresh_for_unknown_key();
  if (!trusted) {
    unavailable_.fetch_add(1, std::memory_order_relaxed);
    AuthOutcome no_keys = refused(503, {}, "token signing keys are not available yet from " + keys_->describe());
    co_return no_keys;
  }
  const auto judged_by = policy();
  TokenPolicy policy = *judged_by;
  if (policy.issuers.empty()) policy.issuers = trusted->issuers;
  verifications_.fetch_add(1, std::memory_order_relaxed);
  TokenCheck check = check_token(token, trusted->keys, policy, now);
  if (check.verdict == TokenVerdict::unknown_key) {
    // Keys rotate: the authority may sign with a key published after our last fetch.
    trusted = co_await keys_->refresh_for_unknown_key();
    if (trusted) {
      if (judged_by->issuers.empty()) policy.issuers = trusted->issuers;
      check = check_token(token, trusted->keys, policy, now);
    }
  }
  if (check.verdict == TokenVerdict::accepted || check.verdict == TokenVerdict::forbidden) remember(token, check, now, judged_by);
  auto outcome = verdict_outcome(unless_unregistered(check));
  if (outcome.status == 401) rejected_401_.fetch_add(1, std::memory_order_relaxed);
  if (outcome.status == 403) rejected_403_.fetch_add(1, std::memory_order_relaxed);
  co_return outcome;
}

void Authenticator::append_metrics(std::string& out) const {
  metrics::append_counter(out, "krest_proxy_auth_verifications_total", "tokens whose signature was checked",
                          static_cast<double>(verifications_.load()));
  metrics::append_counter(out, "krest_proxy_auth_cache_hits_total", "requests decided by the verified-token cache",
                          static_cast<double>(cache_hits_.load()));
  metrics::append_family(out, "krest_proxy_auth_rejected_total", "counter", "requests refused by authentication");
  metrics::append_sample(out, "krest_proxy_auth_rejected_total", "status=\"401\"",
                         static_cast<double>(rejected_401_.load()));
  metrics::append_sample(out, "krest_proxy_auth_rejected_total", "status=\"403\"",
                         static_cast<double>(rejected_403_.load()));
  metrics::append_counter(out, "krest_proxy_auth_unavailable_total",
                          "requests refused because no signing keys were available",
                          static_cast<double>(unavailable_.load()));
}

}  // namespace krest::proxy
