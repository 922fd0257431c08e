#pragma once
// Checking client secrets without letting the check be the attack. scrypt costs tens of
// milliseconds of CPU and 16 MiB by design; run on the I/O threads, forty connections posting
// wrong secrets stalled every other request for seconds. Here:
//  - a secret runs scrypt on a small pool of its own threads, never on an I/O thread, with a
//    bounded number waiting; beyond it the request is answered 503 with Retry-After at once;
//  - failures are counted per client id and per source address (FailureThrottle): after a burst
//    of them, further attempts get 429 with Retry-After until the bucket refills;
//  - a client whose secret already passed is let through without scrypt (its SHA-256 is kept),
//    even while its id is being throttled by someone guessing: knowing the secret is the proof;
//  - an unknown client id costs the same scrypt as a known one, so timing does not tell which
//    ids exist.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <string>

#include "authority/authority.hpp"
#include "authority/failure_throttle.hpp"

namespace krest::proxy {

struct SecretCheckSettings {
  unsigned threads = 2;
  unsigned max_waiting = 8;  // checks running or queued at once, at most
  ThrottleSettings per_client;
  ThrottleSettings per_source;
};

class SecretChecks {
 public:
  SecretChecks(Authority& authority, SecretCheckSettings settings = {});
  ~SecretChecks();

  struct Verdict {
    enum class Kind { accepted, refused, throttled, busy } kind = Kind::refused;
    std::shared_ptr<const RegisteredApp> app;  // accepted
    std::chrono::seconds retry_after{0};  // throttled, busy
  };
  // Whether `secret` is `client_id`'s, asked from `source` (an address). Resumes on the caller's
  // executor.
  boost::asio::awaitable<Verdict> verify(std::string client_id, std::string secret, std::string source);

  std::uint64_t throttled() const { return throttled_.load(); }
  std::uint64_t busy() const { return busy_.load(); }
  std::uint64_t failures() const { return failures_.load(); }

 private:
  Authority& authority_;
  SecretCheckSettings settings_;
  boost::asio::thread_pool pool_;
  FailureThrottle per_client_, per_source_;
  std::atomic<unsigned> waiting_{0};
  std::atomic<std::uint64_t> throttled_{0}, busy_{0}, failures_{0};
};

}  // namespace krest::proxy
