#include "relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include "congestion_window.hpp"

namespace krest::netem {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t kStraightBufferBytes = 256 * 1024;

bool straight_through(const LinkSettings& s) {
  return s.delay.count() == 0 && s.jitter.count() == 0 && s.bytes_per_second <= 0;
}

struct Piece {
  Clock::time_point arrival;
  std::vector<char> data;
};

// One direction of one connection: a reader that takes bytes in as the link admits them and
// stamps each piece with its arrival time, and a writer that hands pieces on when they arrive.
struct Pipe {
  Pipe(asio::any_io_executor ex, std::shared_ptr<tcp::socket> f, std::shared_ptr<tcp::socket> t, LinkModel& l,
       std::size_t w, std::atomic<std::uint64_t>& c)
      : from(std::move(f)), to(std::move(t)), link(l), window(w), carried(c), reader_wake(ex), writer_wake(ex) {}
  std::shared_ptr<tcp::socket> from, to;
  LinkModel& link;
  std::size_t window;
  std::atomic<std::uint64_t>& carried;
  ConnectionOrder order;
  std::optional<CongestionWindow> congestion;  // slow start, when emulated
  std::deque<Piece> queue;
  std::size_t queued = 0;  // bytes in `queue`
  std::vector<std::vector<char>> spare;
  asio::steady_timer reader_wake, writer_wake;  // cancelled to wake a waiting side
  bool reader_done = false;
  bool failed = false;
};

void reset(tcp::socket& s) {
  error_code ignored;
  s.set_option(asio::socket_base::linger(true, 0), ignored);
  s.close(ignored);
}

asio::awaitable<void> wait_until(asio::steady_timer& t, Clock::time_point when) {
  t.expires_at(when);
  co_await t.async_wait(kTuple);
}

asio::awaitable<void> read_side(std::shared_ptr<Pipe> p) {
  asio::steady_timer hold(p->from->get_executor());
  const std::size_t quantum = p->link.quantum();
  while (!p->failed) {
    if (p->queued >= p->window) {
      co_await wait_until(p->reader_wake, Clock::time_point::max());
      continue;
    }
    const auto now = Clock::now();
    if (const auto admit = p->link.admit_at(now); admit > now) {
      co_await wait_until(hold, admit);
      continue;
    }
    std::vector<char> buf;
    if (!p->spare.empty()) {
      buf = std::move(p->spare.back());
      p->spare.pop_back();
    }
    buf.resize(std::min(quantum, p->window - p->queued));
    auto [ec, n] = co_await p->from->async_read_some(asio::buffer(buf), kTuple);
    if (ec) break;
    buf.resize(n);
    // What the congestion window does not let on the link yet waits here for acks (and the
    // sender, for the reader: back-pressure), in pieces as the window opens.
    for (std::size_t done = 0; done < n && !p->failed;) {
      const auto at = Clock::now();
      std::size_t take = n - done;
      if (p->congestion) {
        const std::size_t allowed = p->congestion->allowed(at);
        if (allowed == 0) {
          co_await wait_until(hold, p->congestion->next_ack());
          continue;
        }
        take = std::min(take, allowed);
      }
      std::vector<char> piece;
      if (take == n) {
        piece = std::move(buf);
      } else {
        piece.assign(buf.begin() + static_cast<std::ptrdiff_t>(done),
                     buf.begin() + static_cast<std::ptrdiff_t>(done + take));
      }
      const auto arrival = p->link.schedule(at, take, p->order);
      if (p->congestion) p->congestion->sent(at, take, arrival);
      p->queue.push_back({arrival, std::move(piece)});
      p->queued += take;
      done += take;
      p->writer_wake.cancel();
    }
  }
  p->reader_done = true;
  p->writer_wake.cancel();
}

asio::awaitable<void> write_side(std::shared_ptr<Pipe> p) {
  asio::steady_timer until(p->to->get_executor());
  std::vector<asio::const_buffer> due;
  for (;;) {
    if (p->queue.empty()) {
      if (p->reader_done || p->failed) break;
      co_await wait_until(p->writer_wake, Clock::time_point::max());
      continue;
    }
    if (p->queue.front().arrival > Clock::now()) {
      co_await wait_until(until, p->queue.front().arrival);
      continue;
    }
    // Everything that has arrived by now goes in one write.
    const auto now = Clock::now();
    std::size_t pieces = 0, bytes = 0;
    due.clear();
    for (const auto& piece : p->queue) {
      if (piece.arrival > now) break;
      due.emplace_back(asio::buffer(piece.data));
      bytes += piece.data.size();
      ++pieces;
    }
    auto [ec, n] = co_await asio::async_write(*p->to, due, kTuple);
    if (ec) {
      p->failed = true;
      reset(*p->from);
      co_return;
    }
    p->carried.fetch_add(bytes, std::memory_order_relaxed);
    for (std::size_t i = 0; i < pieces; ++i) {
      p->queued -= p->queue.front().data.size();
      if (p->spare.size() < 4) p->spare.push_back(std::move(p->queue.front().data));
      p->queue.pop_front();
    }
    p->reader_wake.cancel();
  }
  error_code ignored;
  p->to->shutdown(tcp::socket::shutdown_send, ignored);
}

// No delay and no limit: bytes go straight on, through one large buffer.
asio::awaitable<void> straight(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
                               std::atomic<std::uint64_t>& carried) {
  std::vector<char> buf(kStraightBufferBytes);
  for (;;) {
    auto [ec, n] = co_await from->async_read_some(asio::buffer(buf), kTuple);
    if (ec) break;
    auto [wec, wn] = co_await asio::async_write(*to, asio::buffer(buf.data(), n), kTuple);
    if (wec) {
      reset(*from);
      co_return;
    }
    carried.fetch_add(n, std::memory_order_relaxed);
  }
  error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct Relay::Impl {
  explicit Impl(RelaySettings s)
      : settings(std::move(s)),
        up(settings.up, 0x6b72657374ULL),
        down(settings.down, 0x6e6574656dULL),
        contexts(std::max(1u, settings.threads)),
        acceptor(contexts.front()) {
    upstream = tcp::endpoint(asio::ip::make_address(settings.upstream_host), settings.upstream_port);
    const tcp::endpoint local(asio::ip::make_address(settings.listen_host), settings.listen_port);
    acceptor.open(local.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(local);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  RelaySettings settings;
  LinkModel up, down;
  std::vector<asio::io_context> contexts;
  tcp::acceptor acceptor;
  tcp::endpoint upstream;
  std::atomic<std::uint64_t> accepted{0}, bytes_up{0}, bytes_down{0};
  std::vector<std::thread> threads;

  void carry(asio::any_io_executor ex, std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
             LinkModel& link, std::atomic<std::uint64_t>& counter) {
    if (straight_through(link.settings())) {
      asio::co_spawn(ex, straight(std::move(from), std::move(to), counter), asio::detached);
      return;
    }
    auto pipe = std::make_shared<Pipe>(ex, std::move(from), std::move(to), link, settings.window_bytes, counter);
    if (settings.slow_start) {
      const auto round_trip = std::chrono::duration_cast<Clock::duration>(settings.up.delay + settings.down.delay);
      const auto back = round_trip - std::chrono::duration_cast<Clock::duration>(link.settings().delay);
      pipe->congestion.emplace(round_trip, back, settings.window_bytes);
    }
    asio::co_spawn(ex, read_side(pipe), asio::detached);
    asio::co_spawn(ex, write_side(pipe), asio::detached);
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
    auto ex = client->get_executor();
    auto server = std::make_shared<tcp::socket>(ex);
    auto [ec] = co_await server->async_connect(upstream, kTuple);
    if (ec) {
      reset(*client);
      co_return;
    }
    error_code ignored;
    server->set_option(tcp::no_delay(true), ignored);
    if (settings.tcp_handshake) {
      // The client's connect returned at once (this machine's kernel answered its SYN): its first
      // bytes start across the link a round trip later, where they would once a real SYN-ACK came.
      asio::steady_timer handshake(ex, settings.up.delay + settings.down.delay);
      co_await handshake.async_wait(kTuple);
    }
    carry(ex, client, server, up, bytes_up);
    carry(ex, server, client, down, bytes_down);
  }

  asio::awaitable<void> accept_loop() {
    for (std::size_t next = 0;; ++next) {
      auto& target = contexts[next % contexts.size()];
      auto [ec, socket] = co_await acceptor.async_accept(target, kTuple);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // e.g. out of descriptors for a moment
      ++accepted;
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto client = std::make_shared<tcp::socket>(std::move(socket));
      asio::co_spawn(target, serve(std::move(client)), asio::detached);
    }
  }
};

Relay::Relay(RelaySettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {
  asio::co_spawn(impl_->contexts.front(), impl_->accept_loop(), asio::detached);
  for (auto& ioc : impl_->contexts)
    impl_->threads.emplace_back([&ioc] {
      auto guard = asio::make_work_guard(ioc);
      ioc.run();
    });
}

Relay::~Relay() {
  for (auto& ioc : impl_->contexts) ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

unsigned short Relay::port() const { return impl_->acceptor.local_endpoint().port(); }

RelayStats Relay::stats() const { return {impl_->accepted.load(), impl_->bytes_up.load(), impl_->bytes_down.load()}; }

}  // namespace krest::netem
