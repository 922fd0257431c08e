#pragma once
// Keep-alive connections to one proxy (or several used as one: connections are spread over them in
// turn, and one that refuses connections backs off while the others carry the requests), each lent
// to one request at a time: a pinned number, or
// (adapted) one more whenever a request finds all of them busy, up to a bound. A free connection
// that is open and healthy is preferred; one idle too long, or closed by the server while idle,
// is dropped before use; one whose last connect failed waits out a backoff before the next try.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "http/http_connection.hpp"
#include "krest/client.hpp"
#include "util/signal.hpp"

namespace krest::pool {

class ConnectionPool {
  struct Slot;

 public:
  // `tls` and `bodies` must outlive the pool.
  ConnectionPool(boost::asio::any_io_executor ex, std::vector<net::BaseUrl> servers, boost::asio::ssl::context& tls,
                 const PoolOptions& options, http::BodyPool& bodies);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection lent to one request; given back when the lease goes away.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : pool_(o.pool_), slot_(o.slot_), alive_(std::move(o.alive_)) { o.pool_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    http::HttpConnection& connection();
    // What the request on this connection came to: a failed connect backs off the next one.
    void report(const http::Exchange& x);

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, Slot* slot) : pool_(pool), slot_(slot), alive_(pool->alive_) {}
    ConnectionPool* pool_ = nullptr;
    Slot* slot_ = nullptr;
    // A lease in a coroutine frame destroyed after its pool (an io_context torn down with work
    // pending) must not give the connection back to a pool that is gone.
    std::shared_ptr<bool> alive_;
  };

  // Waits for a free connection. Throws krest::Error(closed) once close() was called.
  // `affinity` (with several endpoints): an open connection to endpoint affinity % count is taken
  // when one is free, so that requests with the same affinity (a partition's pages) go to the same
  // proxy, whose read of that partition carries on instead of restarting; otherwise any is.
  boost::asio::awaitable<Lease> acquire(std::optional<std::size_t> affinity = std::nullopt);
  // Opens every connection now (PoolOptions::eager), in the background.
  void open_all();
  // Adapted pools: opens connections in the background until `wanted` are open or opening (within
  // the bound), so that requests the limits are about to allow do not wait for TCP and TLS
  // handshakes. Cheap when called again with no more than before.
  void warm(std::size_t wanted);
  // Who watches connects (watch_connects()): an id each, so a watch takes only itself off.
  using ConnectWatchers = std::vector<std::pair<std::uint64_t, std::function<void()>>>;
  // Watching connects (watch_connects()) until destroyed; safe to destroy after the pool.
  class ConnectWatch {
   public:
    ConnectWatch() = default;
    ConnectWatch(ConnectWatch&&) noexcept = default;
    ConnectWatch& operator=(ConnectWatch&& o) noexcept;
    ~ConnectWatch();

   private:
    friend class ConnectionPool;
    void release();
    std::weak_ptr<ConnectWatchers> watchers_;  // the pool's
    std::uint64_t id_ = 0;
  };
  // Calls `f` after each connect that succeeds (posted, never inside the connect's own request),
  // for as long as the returned watch lives: a limit that goes by the link's length learns it
  // from the first connect instead of the first answer, a round trip later
  // (InFlightLimit::learn_link()).
  [[nodiscard]] ConnectWatch watch_connects(std::function<void()> f);
  void close();

  std::uint64_t connects() const;
  std::uint64_t reconnects() const;  // connects that replaced an earlier connection of the same slot
  std::uint64_t resumed() const;
  std::uint64_t name_lookups() const;                 // of the endpoints' host names (net::HostAddresses)
  std::size_t size() const { return slots_.size(); }  // connections the pool has had room for so far
  std::size_t open_connections() const;
  // Requests whose connection has been opening for over twice the quickest connect so far: their
  // handshakes wait behind other work (many at once on busy CPUs), not for the link. What holds
  // those requests back is the opening, not the in-flight limit.
  std::size_t requests_stalled_connecting(std::chrono::steady_clock::time_point now) const;
  // The quickest successful connect so far (TCP and TLS handshakes: two round trips and their
  // CPU, not the name lookup); duration::max() before the first.
  std::chrono::steady_clock::duration fastest_connect() const;
  // What owns the pool (the client's parts): each connection opened in the background holds it
  // until the opening ends, which may be after the owner's own owner has let go of it.
  void keep_owner_alive(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

 private:
  void release(Slot* slot);
  Slot* pick(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::time_point& retry_at,
             std::optional<std::size_t> affinity);
  // An open, healthy, free connection to `endpoint` (slots i with i % servers_.size() == endpoint),
  // or with nullopt to the endpoints in turn from next_endpoint_: within an endpoint, the first
  // free one in slot order.
  Slot* pick_open(std::chrono::steady_clock::time_point now, std::optional<std::size_t> endpoint);
  // Closes free connections idle past idle_timeout (at most once a second).
  void close_idle(std::chrono::steady_clock::time_point now);
  bool idle_too_long(const Slot& s, std::chrono::steady_clock::time_point now) const;
  Slot* add_slot();
  void open_in_background(Slot* slot);

  boost::asio::any_io_executor ex_;
  std::weak_ptr<void> owner_;
  std::vector<net::BaseUrl> servers_;  // slot i connects to servers_[i % size]
  std::size_t next_endpoint_ = 0;      // the endpoint pick() tries first: endpoints in turn
  std::chrono::steady_clock::time_point idle_checked_{};
  boost::asio::ssl::context& tls_;
  http::BodyPool& bodies_;
  PoolOptions options_;
  // What the connections to one server share: its TLS sessions (a session resumes only where it
  // began) and its addresses (looked up for all of them).
  struct Endpoint {
    Endpoint(const boost::asio::any_io_executor& ex, const net::BaseUrl& server)
        : addresses(ex, server.host, server.port) {}
    http::TlsSessionCache sessions;
    net::HostAddresses addresses;
  };
  std::deque<Endpoint> endpoints_;  // endpoints_[i] is servers_[i]'s
  std::vector<std::unique_ptr<Slot>> slots_;
  util::Signal available_;  // a connection was given back, or the pool closed
  bool closed_ = false;
  std::size_t warmed_ = 0;  // the most warm() was asked for
  std::shared_ptr<ConnectWatchers> connect_watchers_ = std::make_shared<ConnectWatchers>();
  std::uint64_t next_watch_ = 0;
  std::size_t waiting_ = 0;  // requests in acquire() waiting for a connection
  // Counts one of those while it waits, however the wait ends (a pool gone meanwhile included).
  struct Waiting {
    ConnectionPool& pool;
    std::shared_ptr<bool> alive;
    Waiting(ConnectionPool& p, std::shared_ptr<bool> a) : pool(p), alive(std::move(a)) { ++pool.waiting_; }
    ~Waiting() {
      if (*alive) --pool.waiting_;
    }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;
  };
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace krest::pool
