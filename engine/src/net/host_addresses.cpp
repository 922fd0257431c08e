#include "net/host_addresses.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "util/signal.hpp"

namespace krest::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HostAddresses::State {
  State(asio::any_io_executor ex, std::string h, std::string p, Clock::duration kept)
      : executor(ex), host(std::move(h)), port(std::move(p)), kept_for(kept), resolver(ex), done(ex) {}
  asio::any_io_executor executor;
  std::string host, port;
  Clock::duration kept_for;
  tcp::resolver resolver;
  std::vector<tcp::endpoint> addresses;  // empty until a lookup found some, or forgotten
  Clock::time_point found_at{};
  boost::system::error_code last_error;  // of the last lookup
  bool looking_up = false;
  std::uint64_t lookups = 0;   // started
  std::uint64_t finished = 0;  // ended, however
  util::Signal done;           // a lookup ended

  bool fresh(Clock::time_point now) const { return !addresses.empty() && now - found_at < kept_for; }
};

namespace {

// A parameter, not a lambda capture: the lookup outlives the expression that starts it.
asio::awaitable<void> look_up(std::shared_ptr<HostAddresses::State> s) {
  auto [ec, results] = co_await s->resolver.async_resolve(s->host, s->port, asio::as_tuple(asio::use_awaitable));
  s->looking_up = false;
  s->last_error = ec;
  if (!ec) {
    s->addresses.clear();
    for (const auto& entry : results) s->addresses.push_back(entry.endpoint());
    s->found_at = HostAddresses::Clock::now();
    if (s->addresses.empty()) s->last_error = asio::error::host_not_found;
  }
  ++s->finished;
  s->done.notify_all();
}

}  // namespace

HostAddresses::HostAddresses(asio::any_io_executor ex, std::string host, std::string port, Clock::duration kept_for)
    : state_(std::make_shared<State>(std::move(ex), std::move(host), std::move(port), kept_for)) {}

HostAddresses::~HostAddresses() { state_->resolver.cancel(); }

asio::awaitable<HostAddresses::Found> HostAddresses::lookup(Clock::time_point deadline) {
  const auto s = state_;  // the lookup's end may come after this object is gone
  for (;;) {
    const auto now = Clock::now();
    if (s->fresh(now)) co_return Found{{}, s->addresses};
    if (now >= deadline) co_return Found{asio::error::timed_out, {}};
    if (!s->looking_up) {
      s->looking_up = true;
      ++s->lookups;
      asio::co_spawn(s->executor, look_up(s), asio::detached);
    }
    const auto before = s->finished;
    co_await s->done.wait(deadline);
    // The lookup this caller waited for is its answer, failed or not (a retry after a failure is
    // the pool's call, after its backoff).
    if (s->finished != before) {
      if (s->last_error) co_return Found{s->last_error, {}};
      if (!s->addresses.empty()) co_return Found{{}, s->addresses};  // (else forgotten meanwhile)
    }
  }
}

void HostAddresses::forget() { state_->addresses.clear(); }

std::uint64_t HostAddresses::lookups() const { return state_->lookups; }

}  // namespace krest::net
