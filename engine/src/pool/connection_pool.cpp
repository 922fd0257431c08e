#include "pool/connection_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>

#include "krest/error.hpp"

namespace krest::pool {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct ConnectionPool::Slot {
  Slot(asio::any_io_executor ex, net::BaseUrl server, asio::ssl::context& tls, http::ConnectionOptions o,
       http::TlsSessionCache* sessions, http::BodyPool* bodies, net::HostAddresses* addresses)
      : conn(std::move(ex), std::move(server), tls, o, sessions, bodies, addresses) {}
  http::HttpConnection conn;
  bool busy = false;
  bool warming = false;  // busy opening in the background, for no request yet
  int failed_connects = 0;  // in a row
  Clock::time_point next_connect_at{};
};

namespace {
// `nth`: the connection's number among its endpoint's.
http::ConnectionOptions connection_options(const PoolOptions& o, std::size_t nth) {
  http::ConnectionOptions c;
  c.connect_timeout = o.connect_timeout;
  c.request_timeout = o.request_timeout;
  c.max_response_bytes = o.max_response_bytes;
  c.first_address = nth;
  return c;
}
}  // namespace

// Adapted pools start with this many slots; eager ones open them at start.
constexpr std::size_t kInitialAdaptiveSlots = 8;

ConnectionPool::ConnectionPool(asio::any_io_executor ex, std::vector<net::BaseUrl> servers, asio::ssl::context& tls,
                               const PoolOptions& options, http::BodyPool& bodies)
    : ex_(std::move(ex)), servers_(std::move(servers)), tls_(tls), bodies_(bodies), options_(options), available_(ex_) {
  for (const auto& server : servers_) endpoints_.emplace_back(ex_, server);
  // Every endpoint gets at least one connection, whatever the bound.
  const std::size_t initial = std::max(servers_.size(), options.connections.adaptive
                                                            ? std::min(kInitialAdaptiveSlots, options.connections.max)
                                                            : options.connections.max);
  slots_.reserve(initial);
  for (std::size_t i = 0; i < initial; ++i) add_slot();
}

ConnectionPool::Slot* ConnectionPool::add_slot() {
  const std::size_t i = slots_.size() % servers_.size();
  slots_.push_back(std::make_unique<Slot>(ex_, servers_[i], tls_,
                                          connection_options(options_, slots_.size() / servers_.size()),
                                          &endpoints_[i].sessions, &bodies_, &endpoints_[i].addresses));
  slots_.back()->conn.on_connected([this] {
    if (connect_watchers_->empty()) return;
    // Posted: a watcher may send requests and open connections, which must not happen inside
    // this connect's request (a pool iterating its slots, a request not yet sent).
    asio::post(ex_, [this, alive = alive_] {
      if (!*alive) return;
      const auto watchers = *connect_watchers_;  // one may stop watching meanwhile
      for (const auto& [id, f] : watchers) f();
    });
  });
  return slots_.back().get();
}

ConnectionPool::ConnectWatch ConnectionPool::watch_connects(std::function<void()> f) {
  ConnectWatch watch;
  watch.watchers_ = connect_watchers_;
  watch.id_ = ++next_watch_;
  connect_watchers_->emplace_back(watch.id_, std::move(f));
  return watch;
}

ConnectionPool::ConnectWatch& ConnectionPool::ConnectWatch::operator=(ConnectWatch&& o) noexcept {
  if (this != &o) {
    release();
    watchers_ = std::move(o.watchers_);
    id_ = o.id_;
  }
  return *this;
}

ConnectionPool::ConnectWatch::~ConnectWatch() { release(); }

void ConnectionPool::ConnectWatch::release() {
  // A watch that outlives its pool (a producer's work torn down with the io_context after the
  // client) finds nothing to take itself off.
  if (auto watchers = watchers_.lock()) std::erase_if(*watchers, [&](const auto& w) { return w.first == id_; });
  watchers_.reset();
}

ConnectionPool::~ConnectionPool() {
  *alive_ = false;
  close();
}

ConnectionPool::Lease::~Lease() {
  if (pool_ && *alive_) pool_->release(slot_);
}

http::HttpConnection& ConnectionPool::Lease::connection() { return slot_->conn; }

void ConnectionPool::Lease::report(const http::Exchange& x) {
  if (!x.ec) {
    slot_->failed_connects = 0;
    return;
  }
  // Nothing left this host on a connection opened for this request: the connect itself failed.
  if (x.connected && !x.request_sent && !slot_->conn.is_open()) {
    const int n = std::min(++slot_->failed_connects, 16);
    const auto& o = pool_->options_;
    std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
        o.reconnect_backoff_initial * (std::int64_t{1} << (n - 1)), o.reconnect_backoff_max);
    // Up to a quarter less at random, so that many connections do not retry in step.
    thread_local std::minstd_rand rng{std::random_device{}()};
    delay -= std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, delay.count() / 4)(rng));
    slot_->next_connect_at = Clock::now() + delay;
  }
}

bool ConnectionPool::idle_too_long(const Slot& s, Clock::time_point now) const {
  return now - s.conn.last_used() > options_.idle_timeout;
}

ConnectionPool::Slot* ConnectionPool::pick_open(Clock::time_point now, std::optional<std::size_t> endpoint) {
  // Requests spread over the endpoints in turn; within one, the first free connection in slot
  // order, so that connections beyond what the requests need stay free and close once idle (a
  // round over all of them would keep every one in use, however many a startup opened: a proxy
  // would see a hundred connections from a client that keeps four requests out).
  const std::size_t n = servers_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t e = endpoint ? *endpoint : (next_endpoint_ + k) % n;
    for (std::size_t i = e; i < slots_.size(); i += n) {
      auto& s = slots_[i];
      if (s->busy || !s->conn.is_open()) continue;
      if (idle_too_long(*s, now))
        s->conn.close();
      else
        s->conn.drop_if_closed_by_peer();
      if (s->conn.is_open()) {
        if (!endpoint) next_endpoint_ = (e + 1) % n;
        return s.get();
      }
    }
    if (endpoint) break;
  }
  return nullptr;
}

void ConnectionPool::close_idle(Clock::time_point now) {
  if (now - idle_checked_ < std::chrono::seconds(1)) return;
  idle_checked_ = now;
  for (auto& s : slots_)
    if (!s->busy && s->conn.is_open() && idle_too_long(*s, now)) s->conn.close();
}

ConnectionPool::Slot* ConnectionPool::pick(Clock::time_point now, Clock::time_point& retry_at,
                                           std::optional<std::size_t> affinity) {
  if (affinity && servers_.size() > 1)
    if (Slot* s = pick_open(now, *affinity % servers_.size())) return s;
  if (Slot* s = pick_open(now, std::nullopt)) return s;
  // No open connection is free. One opening in the background (warm()) that no waiting request
  // has claimed yet is ready sooner than any this request would open now, and opening one more
  // would leave a connection beyond what the requests need (a startup opened 192 for a limit of
  // 128 so).
  std::size_t warming = 0;
  for (const auto& s : slots_) warming += s->warming ? 1 : 0;
  if (warming > waiting_) return nullptr;  // woken when one is open
  bool backing_off = false;
  for (auto& s : slots_) {
    if (s->busy) continue;
    if (s->next_connect_at <= now) return s.get();
    retry_at = std::min(retry_at, s->next_connect_at);
    backing_off = true;
  }
  // Every connection is busy: an adapted pool opens one more (not while connects are failing).
  if (options_.connections.adaptive && !backing_off && slots_.size() < options_.connections.max) return add_slot();
  return nullptr;
}

asio::awaitable<ConnectionPool::Lease> ConnectionPool::acquire(std::optional<std::size_t> affinity) {
  const auto alive = alive_;
  for (;;) {
    if (closed_) throw Error(Error::Kind::closed, "the client is closed");
    auto retry_at = Clock::time_point::max();
    const auto now = Clock::now();
    close_idle(now);
    if (Slot* s = pick(now, retry_at, affinity)) {
      s->busy = true;
      co_return Lease(this, s);
    }
    // Until a connection is given back, or the earliest backoff ends.
    {
      const Waiting counted(*this, alive);
      co_await available_.wait(retry_at);
    }
    if (!*alive) throw Error(Error::Kind::closed, "the client is closed");
  }
}

void ConnectionPool::release(Slot* slot) {
  slot->busy = false;
  slot->warming = false;
  if (closed_) slot->conn.close();
  available_.notify_all();
}

void ConnectionPool::open_in_background(Slot* slot) {
  slot->busy = true;
  slot->warming = true;
  asio::co_spawn(
      ex_,
      [this, slot, alive = alive_, owner = owner_.lock()]() -> asio::awaitable<void> {
        auto ec = co_await slot->conn.open();
        if (!*alive) co_return;
        http::Exchange x;
        x.ec = ec;
        x.connected = true;
        Lease lease(this, slot);
        lease.report(x);
      },
      asio::detached);
}

void ConnectionPool::open_all() {
  for (auto& s : slots_)
    if (!s->busy && !s->conn.is_open()) open_in_background(s.get());
}

void ConnectionPool::warm(std::size_t wanted) {
  if (!options_.connections.adaptive || closed_) return;
  wanted = std::min(wanted, options_.connections.max);
  if (wanted <= warmed_) return;
  warmed_ = wanted;
  std::size_t ready = 0;  // open, or busy (carrying a request or connecting)
  for (auto& s : slots_) ready += s->busy || s->conn.is_open() ? 1 : 0;
  const auto now = Clock::now();
  for (auto& s : slots_) {
    if (ready >= wanted) return;
    if (s->busy || s->conn.is_open() || s->next_connect_at > now) continue;
    open_in_background(s.get());
    ++ready;
  }
  while (ready < wanted && slots_.size() < options_.connections.max) {
    open_in_background(add_slot());
    ++ready;
  }
}

void ConnectionPool::close() {
  closed_ = true;
  for (auto& s : slots_) s->conn.close();
  available_.notify_all();
}

Clock::duration ConnectionPool::fastest_connect() const {
  auto fastest = Clock::duration::max();
  for (const auto& s : slots_) fastest = std::min(fastest, s->conn.fastest_connect());
  return fastest;
}

std::size_t ConnectionPool::requests_stalled_connecting(Clock::time_point now) const {
  const auto fastest = fastest_connect();
  if (fastest == Clock::duration::max()) return 0;  // nothing to compare with yet
  std::size_t n = 0;
  for (const auto& s : slots_) {
    const auto since = s->conn.connecting_since();
    n += s->busy && !s->warming && since && now - *since > 2 * fastest ? 1 : 0;
  }
  return n;
}

std::size_t ConnectionPool::open_connections() const {
  std::size_t n = 0;
  for (const auto& s : slots_) n += s->conn.is_open() ? 1 : 0;
  return n;
}

std::uint64_t ConnectionPool::connects() const {
  std::uint64_t n = 0;
  for (const auto& s : slots_) n += s->conn.connects();
  return n;
}

std::uint64_t ConnectionPool::reconnects() const {
  std::uint64_t n = 0;
  for (const auto& s : slots_) n += s->conn.connects() > 1 ? s->conn.connects() - 1 : 0;
  return n;
}

std::uint64_t ConnectionPool::name_lookups() const {
  std::uint64_t n = 0;
  for (const auto& e : endpoints_) n += e.addresses.lookups();
  return n;
}

std::uint64_t ConnectionPool::resumed() const {
  std::uint64_t n = 0;
  for (const auto& s : slots_) n += s->conn.resumed();
  return n;
}

}  // namespace krest::pool
