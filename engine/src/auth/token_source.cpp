#include "krest/token_source.hpp"

#include <boost/asio/ssl/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <random>

#include "auth/token_response.hpp"
#include "http/form.hpp"
#include "http/http_connection.hpp"
#include "net/base_url.hpp"
#include "net/client_tls.hpp"
#include "util/checked_options.hpp"

namespace krest {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string endpoint_of(const AuthOptions& o) {
  std::string authority = o.authority;
  if (auto at = authority.find("{tenant}"); at != std::string::npos) authority.replace(at, 8, o.tenant);
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  return authority + "/oauth2/v2.0/token";
}

// How long, before the first token, an authority may not be reachable at all before waiting for it
// stops: long enough for one that restarts, far shorter than AuthOptions::wait.
constexpr auto kUnreachableGrace = std::chrono::seconds(3);

// The authority cannot be reached at all, as opposed to slow or briefly away.
bool unreachable(const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  return ec == error::connection_refused || ec == error::host_not_found || ec == error::host_not_found_try_again ||
         ec == error::network_unreachable || ec.category() == error::get_ssl_category();
}

std::string unreachable_hint(const boost::system::error_code& ec) {
  if (ec.category() == boost::asio::error::get_ssl_category())
    return " (is its certificate trusted? trust its CA: krest's --ca-file, or --authority-ca-file when the "
           "authority's CA is another)";
  return " (is the authority URL right, and is it running?)";
}

}  // namespace

std::vector<std::string> validate(const AuthOptions& o) {
  std::vector<std::string> problems;
  using Mode = AuthOptions::Mode;
  if (o.mode == Mode::static_token && o.static_token.empty()) problems.push_back("auth: a static token is empty");
  if (o.mode == Mode::client_credentials) {
    if (o.client_id.empty()) problems.push_back("auth: client_id is required for client credentials");
    if (o.client_secret.empty()) problems.push_back("auth: client_secret is required for client credentials");
    if (o.scope.empty()) problems.push_back("auth: scope is empty");
    if (o.authority.find("{tenant}") != std::string::npos && o.tenant.empty())
      problems.push_back("auth: tenant is required by the authority " + o.authority);
    try {
      net::parse_base_url(endpoint_of(o));
    } catch (const std::invalid_argument& e) {
      problems.push_back(std::string("auth: authority: ") + e.what());
    }
  }
  if (o.refresh_fraction < 0 || o.refresh_fraction >= 1) problems.push_back("auth: refresh_fraction must be in [0, 1)");
  if (o.refresh_before.count() < 0) problems.push_back("auth: refresh_before must not be negative");
  if (o.request_timeout.count() <= 0) problems.push_back("auth: request_timeout must be positive");
  if (o.wait.count() <= 0) problems.push_back("auth: wait must be positive");
  if (o.retry_initial.count() <= 0 || o.retry_max < o.retry_initial)
    problems.push_back("auth: retry_initial must be positive and at most retry_max");
  return problems;
}

// Everything below `strand` is touched on the strand only, except what `mutex` guards and the
// counters.
struct TokenSource::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor ex, AuthOptions o)
      : strand(asio::make_strand(ex)),
        options(std::move(o)),
        url(endpoint_of(options)),
        tls(net::make_client_tls(options.tls)),
        server(net::parse_base_url(url.substr(0, url.size() - std::string_view("/oauth2/v2.0/token").size()))),
        connection(strand, server, tls, http::ConnectionOptions{options.request_timeout, options.request_timeout}),
        wake(strand),
        rng(std::random_device{}()) {}

  asio::strand<asio::any_io_executor> strand;
  AuthOptions options;
  std::string url;
  asio::ssl::context tls;
  net::BaseUrl server;
  http::HttpConnection connection;
  asio::steady_timer wake;
  std::list<asio::steady_timer*> waiters;
  std::mt19937_64 rng;

  std::string header;
  Clock::time_point expires{};
  Clock::time_point next_attempt{};
  std::uint64_t generation = 0;  // tokens obtained so far
  std::optional<std::string> permanent_error;
  bool force = false;
  bool stopped = false;
  milliseconds backoff{0};
  Clock::time_point unreachable_since{};  // before the first token: since when nothing answers

  mutable std::mutex mutex;  // guards the fast path's copy and last_error_text
  std::string cached_header;
  Clock::time_point cached_expires{};
  std::string last_error_text;
  std::atomic<std::uint64_t> acquired{0}, failures{0}, forced{0};

  void notify() {
    for (auto* t : waiters) t->cancel();
  }

  asio::awaitable<auth::TokenResponse> request_token() {
    http::Request req{boost::beast::http::verb::post, server.path + "/oauth2/v2.0/token", 11};
    req.set(boost::beast::http::field::content_type, "application/x-www-form-urlencoded");
    req.set(boost::beast::http::field::accept, "application/json");
    req.body() = http::form_encode({{"grant_type", "client_credentials"},
                                    {"client_id", options.client_id},
                                    {"client_secret", options.client_secret},
                                    {"scope", options.scope}});
    // The authority closes idle keep-alive connections long before the next refresh, so a reused
    // connection failing is expected; a token request is safe to send again.
    for (int attempt = 0;; ++attempt) {
      const bool reused = connection.is_open();
      auto x = co_await connection.exchange(req);
      if (!x.ec) co_return auth::read_token_response(x.response.result_int(), x.response.body());
      if (!reused || attempt > 0) {
        auth::TokenResponse failed{{}, {}, "token request to " + url + " failed: " + x.ec.message()};
        // Before any token: an authority nothing has answered at for a few seconds (not one
        // restarting) is a setting to fix, not something to wait out.
        if (generation == 0 && unreachable(x.ec)) {
          if (unreachable_since == Clock::time_point{}) unreachable_since = Clock::now();
          // A certificate that is not trusted will not be by waiting.
          failed.permanent = Clock::now() - unreachable_since >= kUnreachableGrace ||
                             x.ec.category() == boost::asio::error::get_ssl_category();
        } else {
          unreachable_since = {};
        }
        if (failed.permanent) failed.error += unreachable_hint(x.ec);
        co_return failed;
      }
    }
  }

  void accept(const auth::TokenResponse& got, Clock::time_point sent_at) {
    header = "Bearer " + got.token;
    // Counted from before the request left: never later than the authority's own expiry.
    expires = sent_at + got.lifetime;
    const auto lifetime = std::chrono::duration_cast<milliseconds>(got.lifetime);
    const auto by_fraction = milliseconds(static_cast<std::int64_t>(lifetime.count() * options.refresh_fraction));
    auto margin = std::min<milliseconds>(options.refresh_before, by_fraction);
    margin += milliseconds(std::uniform_int_distribution<std::int64_t>(0, margin.count() / 2)(rng));
    next_attempt = expires - std::min(margin, lifetime);
    ++generation;
    permanent_error.reset();
    backoff = options.retry_initial;
    acquired.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex);
    cached_header = header;
    cached_expires = expires;
  }

  void reject(const auth::TokenResponse& got) {
    failures.fetch_add(1, std::memory_order_relaxed);
    if (got.permanent) permanent_error = got.error;
    if (backoff.count() == 0) backoff = options.retry_initial;
    const auto jitter = milliseconds(std::uniform_int_distribution<std::int64_t>(0, backoff.count() / 2)(rng));
    next_attempt = Clock::now() + backoff + jitter;
    backoff = std::min(backoff * 2, options.retry_max);
    std::lock_guard lock(mutex);
    last_error_text = got.error;
  }

  // The refresh loop: one token request at a time, whoever is waiting.
  asio::awaitable<void> run() {
    auto self = shared_from_this();
    while (!stopped) {
      if (force || Clock::now() >= next_attempt) {
        const bool was_forced = force;
        force = false;
        const auto sent_at = Clock::now();
        auth::TokenResponse got = co_await request_token();
        if (stopped) break;
        if (got.error.empty()) {
          accept(got, sent_at);
        } else {
          reject(got);
          force = was_forced;  // a forced refresh that failed is still owed, after the backoff
        }
        notify();
      }
      wake.expires_at(force && next_attempt <= Clock::now() ? Clock::now() : next_attempt);
      co_await wake.async_wait(kTuple);
    }
    connection.close();
  }

  // Waits for a token numbered `min_generation` or later that has not expired.
  asio::awaitable<std::string> wait_for(Clock::time_point deadline, std::uint64_t min_generation) {
    auto self = shared_from_this();
    for (;;) {
      if (stopped) throw TokenError("the token source is stopped", true);
      const auto now = Clock::now();
      if (generation >= min_generation && !header.empty() && now < expires) co_return header;
      if (permanent_error) throw TokenError(*permanent_error, true);
      if (now >= deadline) {
        std::string why = "no access token from " + url + " within the wait";
        std::lock_guard lock(mutex);
        if (!last_error_text.empty()) why += "; last attempt: " + last_error_text;
        throw TokenError(why, false);
      }
      asio::steady_timer timer(strand, deadline);
      auto at = waiters.insert(waiters.end(), &timer);
      co_await timer.async_wait(kTuple);
      waiters.erase(at);
    }
  }

  asio::awaitable<std::string> authorization(Clock::time_point deadline) { co_return co_await wait_for(deadline, 1); }

  // The refused value by pointer: GCC 12 moves by-value coroutine parameters bytewise, which
  // breaks a short std::string (see docs/ENGINE.md).
  asio::awaitable<std::string> reauthorize(Clock::time_point deadline, std::shared_ptr<const std::string> refused) {
    std::uint64_t wanted = generation;
    if (*refused == header) {
      wanted = generation + 1;
      if (!force) {
        force = true;
        forced.fetch_add(1, std::memory_order_relaxed);
        wake.cancel();
      }
    }
    co_return co_await wait_for(deadline, std::max<std::uint64_t>(wanted, 1));
  }
};

TokenSource::TokenSource(asio::any_io_executor ex, AuthOptions options) : mode_(options.mode), wait_(options.wait) {
  options = util::checked(std::move(options), "auth");
  if (mode_ == AuthOptions::Mode::client_credentials) token_url_ = endpoint_of(options);
  if (mode_ == AuthOptions::Mode::static_token) static_header_ = "Bearer " + options.static_token;
  if (mode_ != AuthOptions::Mode::client_credentials) return;
  state_ = std::make_shared<State>(ex, std::move(options));
  asio::co_spawn(state_->strand, state_->run(), asio::detached);
}

TokenSource::~TokenSource() { stop(); }

void TokenSource::stop() {
  if (!state_) return;
  asio::post(state_->strand, [s = state_] {
    s->stopped = true;
    s->wake.cancel();
    s->notify();
  });
}

asio::awaitable<std::string> TokenSource::authorization() {
  const milliseconds wait = wait_;
  if (mode_ != AuthOptions::Mode::client_credentials) co_return static_header_;
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->cached_header.empty() && Clock::now() < state_->cached_expires) co_return state_->cached_header;
  }
  co_return co_await asio::co_spawn(state_->strand, state_->authorization(Clock::now() + wait), asio::use_awaitable);
}

asio::awaitable<std::string> TokenSource::reauthorize(const std::string& refused) {
  const milliseconds wait = wait_;
  if (mode_ == AuthOptions::Mode::static_token) throw TokenError("the proxy refused the static token", true);
  if (mode_ == AuthOptions::Mode::none) throw TokenError("the proxy requires a token and none is configured", true);
  auto copy = std::make_shared<const std::string>(refused);
  co_return co_await asio::co_spawn(state_->strand, state_->reauthorize(Clock::now() + wait, std::move(copy)),
                                    asio::use_awaitable);
}

TokenStats TokenSource::stats() const {
  if (!state_) return {};
  return {state_->acquired.load(), state_->failures.load(), state_->forced.load()};
}

std::string TokenSource::last_error() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->last_error_text;
}

}  // namespace krest
