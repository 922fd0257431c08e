#include "authority/secret_checks.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "authority/secret_hash.hpp"

namespace krest::proxy {
namespace asio = boost::asio;

SecretChecks::SecretChecks(Authority& authority, SecretCheckSettings settings)
    : authority_(authority),
      settings_(settings),
      pool_(settings.threads),
      per_client_(settings.per_client),
      per_source_(settings.per_source) {}

SecretChecks::~SecretChecks() {
  pool_.stop();
  pool_.join();
}

asio::awaitable<SecretChecks::Verdict> SecretChecks::verify(std::string client_id, std::string secret,
                                                            std::string source) {
  using Kind = Verdict::Kind;
  const auto now = FailureThrottle::Clock::now();
  const auto app = authority_.find_application(client_id);
  // Knowing the secret is the proof: a client that passed before is not held up by guessers.
  if (app && authority_.verified_before(*app, secret)) {
    Verdict accepted{Kind::accepted, app, {}};  // named: GCC 12 and aggregate temporaries in coroutines
    co_return accepted;
  }
  auto wait = per_client_.blocked(client_id, now);
  if (auto by_source = per_source_.blocked(source, now); by_source && (!wait || *by_source > *wait)) wait = by_source;
  if (wait) {
    ++throttled_;
    co_return Verdict{Kind::throttled, nullptr, *wait};
  }
  if (waiting_.fetch_add(1) >= settings_.max_waiting) {
    --waiting_;
    ++busy_;
    co_return Verdict{Kind::busy, nullptr, std::chrono::seconds(1)};
  }
  // An unknown id is checked against a stand-in hash of the same cost.
  const std::string hash = app ? app->secret_hash : authority_.stand_in_hash();
  bool matches = false;
  try {
    matches = co_await asio::co_spawn(
        pool_, [&secret, &hash]() -> asio::awaitable<bool> { co_return secret_matches(secret, hash); },
        asio::use_awaitable);
  } catch (...) {
    --waiting_;
    throw;
  }
  --waiting_;
  if (matches && app) {
    authority_.remember_verified(*app, secret);
    Verdict accepted{Kind::accepted, app, {}};
    co_return accepted;
  }
  ++failures_;
  const auto failed_at = FailureThrottle::Clock::now();
  per_client_.failed(client_id, failed_at);
  per_source_.failed(source, failed_at);
  co_return Verdict{Kind::refused, nullptr, {}};
}

}  // namespace krest::proxy
