#include "support/fault_relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <future>
#include <list>
#include <thread>

namespace krest::test {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// One direction of one relayed connection: a reader that stamps each chunk with the time it is due
// and a writer that forwards it then, so a delay is latency, not a bandwidth limit. The channel
// bounds what is held (64 chunks) so a trickled direction pushes back on its sender.
struct Chunk {
  std::chrono::steady_clock::time_point due;
  std::string data;
};
using ChunkChannel = asio::experimental::channel<void(boost::system::error_code, Chunk)>;

enum class Direction { request, response };

struct Line {
  Line(asio::io_context& ioc, std::shared_ptr<tcp::socket> f, std::shared_ptr<tcp::socket> t, Direction d,
       std::uint64_t l)
      : from(std::move(f)), to(std::move(t)), direction(d), limit(l), chunks(ioc, 64) {}
  std::shared_ptr<tcp::socket> from, to;
  Direction direction;
  std::uint64_t limit;  // 0: none
  ChunkChannel chunks;
};

struct FaultRelay::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  unsigned short upstream;
  std::atomic<std::uint64_t> cut_bytes{0};
  std::atomic<int> cut_connections{0};
  std::atomic<std::uint64_t> truncate_bytes{0};
  std::atomic<int> truncate_connections{0};
  std::atomic<bool> stalled{false};
  std::atomic<std::int64_t> delay_ms{0};
  std::atomic<std::size_t> trickle_bytes{0};
  std::atomic<std::int64_t> trickle_every_ms{0};
  std::atomic<int> pending_503{0};
  std::atomic<std::uint64_t> accepted{0}, faults{0};
  std::list<std::pair<std::shared_ptr<tcp::socket>, std::shared_ptr<tcp::socket>>> open;
  std::thread thread;

  asio::awaitable<void> wait_while_stalled() {
    asio::steady_timer t(ioc);
    while (stalled.load()) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(kTuple);
    }
  }

  static void reset(tcp::socket& s) {
    boost::system::error_code ec;
    s.set_option(asio::socket_base::linger(true, 0), ec);  // close with RST, not FIN
    s.close(ec);
  }

  // Whether this connection is one of the next `quota` ones to be faulted (and counts it).
  static bool take_one(std::atomic<int>& quota) {
    if (quota.load() <= 0) return false;
    if (quota.fetch_sub(1) > 0) return true;
    ++quota;
    return false;
  }

  asio::awaitable<void> read_side(std::shared_ptr<Line> line) {
    char buf[16384];
    for (;;) {
      auto [rec, n] = co_await line->from->async_read_some(asio::buffer(buf), kTuple);
      const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms.load());
      Chunk chunk{due, rec ? std::string() : std::string(buf, n)};
      auto [sec] = co_await line->chunks.async_send(rec, std::move(chunk), kTuple);
      if (rec || sec) co_return;
    }
  }

  // Writes `data` to the line's sink, in trickled pieces on a trickled response line.
  asio::awaitable<boost::system::error_code> write_out(Line& line, std::string_view data) {
    asio::steady_timer pause(ioc);
    while (!data.empty()) {
      std::size_t piece = data.size();
      const auto every = std::chrono::milliseconds(trickle_every_ms.load());
      const std::size_t trickle = line.direction == Direction::response ? trickle_bytes.load() : 0;
      if (trickle > 0) {
        piece = std::min(piece, trickle);
        pause.expires_after(every);
        co_await pause.async_wait(kTuple);
      }
      auto [wec, wn] = co_await asio::async_write(*line.to, asio::buffer(data.data(), piece), kTuple);
      if (wec) co_return wec;
      data.remove_prefix(piece);
    }
    co_return boost::system::error_code{};
  }

  asio::awaitable<void> write_side(std::shared_ptr<Line> line) {
    std::uint64_t total = 0;
    asio::steady_timer until(ioc);
    for (;;) {
      auto [ec, chunk] = co_await line->chunks.async_receive(kTuple);
      if (ec) break;
      until.expires_at(chunk.due);
      co_await until.async_wait(kTuple);
      co_await wait_while_stalled();
      std::string_view data = chunk.data;
      const bool fault = line->limit && total + data.size() >= line->limit;
      if (fault) data = data.substr(0, static_cast<std::size_t>(line->limit - total));
      total += data.size();
      const auto wec = co_await write_out(*line, data);
      if (fault) {
        ++faults;
        boost::system::error_code ignored;
        if (line->direction == Direction::response) {
          line->to->shutdown(tcp::socket::shutdown_send, ignored);  // a clean end, mid-response
          reset(*line->from);
        } else {
          reset(*line->from);
          reset(*line->to);
        }
        line->chunks.close();
        co_return;
      }
      if (wec) {
        line->chunks.close();  // the reader stops at its next send
        reset(*line->from);
        co_return;
      }
    }
    boost::system::error_code ignored;
    line->to->shutdown(tcp::socket::shutdown_send, ignored);
  }

  void relay(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to, Direction d, std::uint64_t limit) {
    auto line = std::make_shared<Line>(ioc, std::move(from), std::move(to), d, limit);
    asio::co_spawn(ioc, read_side(line), asio::detached);
    asio::co_spawn(ioc, write_side(line), asio::detached);
  }

  // Plain HTTP: reads one request (header and Content-Length body) and answers 503, while 503s
  // are wanted; then relays the rest of the connection as usual.
  asio::awaitable<bool> answer_503s(tcp::socket& client, std::string& pending) {
    char buf[16384];
    while (pending_503.load() > 0) {
      std::size_t header_end;
      while ((header_end = pending.find("\r\n\r\n")) == std::string::npos) {
        auto [ec, n] = co_await client.async_read_some(asio::buffer(buf), kTuple);
        if (ec) co_return false;
        pending.append(buf, n);
      }
      std::size_t body = 0;
      std::string lower = pending.substr(0, header_end);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto p = lower.find("content-length:"); p != std::string::npos) body = std::stoul(lower.substr(p + 15));
      while (pending.size() < header_end + 4 + body) {
        auto [ec, n] = co_await client.async_read_some(asio::buffer(buf), kTuple);
        if (ec) co_return false;
        pending.append(buf, n);
      }
      if (pending_503.fetch_sub(1) <= 0) {
        ++pending_503;
        break;
      }
      ++faults;
      pending.erase(0, header_end + 4 + body);
      static const std::string body_text = "{\"error_code\":503,\"message\":\"injected by the fault relay\"}";
      static const std::string reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                       "Content-Length: " +
                                       std::to_string(body_text.size()) + "\r\n\r\n" + body_text;
      auto [wec, wn] = co_await asio::async_write(client, asio::buffer(reply), kTuple);
      if (wec) co_return false;
    }
    co_return true;
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
    std::string pending;
    if (pending_503.load() > 0 && !co_await answer_503s(*client, pending)) co_return;
    auto server = std::make_shared<tcp::socket>(ioc);
    auto [cec] = co_await server->async_connect({asio::ip::make_address("127.0.0.1"), upstream}, kTuple);
    if (cec) {
      reset(*client);
      co_return;
    }
    open.emplace_back(client, server);
    if (!pending.empty()) co_await asio::async_write(*server, asio::buffer(pending), kTuple);
    const std::uint64_t cut = take_one(cut_connections) ? cut_bytes.load() : 0;
    const std::uint64_t truncate = take_one(truncate_connections) ? truncate_bytes.load() : 0;
    relay(client, server, Direction::request, cut);
    relay(server, client, Direction::response, truncate);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto s = std::make_shared<tcp::socket>(ioc);
      auto [ec] = co_await acceptor.async_accept(*s, kTuple);
      if (ec) co_return;
      s->set_option(tcp::no_delay(true));
      ++accepted;
      asio::co_spawn(ioc, serve(std::move(s)), asio::detached);
    }
  }
};

FaultRelay::FaultRelay(unsigned short upstream_port) : impl_(std::make_unique<Impl>()) {
  impl_->upstream = upstream_port;
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

FaultRelay::~FaultRelay() {
  impl_->stalled = false;
  asio::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    for (auto& [a, b] : impl_->open) {
      a->close(ec);
      b->close(ec);
    }
    impl_->ioc.stop();
  });
  impl_->thread.join();
}

unsigned short FaultRelay::port() const { return impl_->acceptor.local_endpoint().port(); }
void FaultRelay::cut_after(std::uint64_t bytes, int connections) {
  impl_->cut_bytes = bytes;
  impl_->cut_connections = connections;
}
void FaultRelay::truncate_responses(std::uint64_t bytes, int connections) {
  impl_->truncate_bytes = bytes;
  impl_->truncate_connections = connections;
}
void FaultRelay::delay(std::chrono::milliseconds each_way) { impl_->delay_ms = each_way.count(); }
void FaultRelay::trickle_responses(std::size_t bytes, std::chrono::milliseconds every) {
  impl_->trickle_every_ms = every.count();
  impl_->trickle_bytes = bytes;
}
void FaultRelay::stall(bool on) { impl_->stalled = on; }
// Runs `job` on the relay's thread and returns once it ran, so a fault is in place before the
// test goes on.
template <class Job>
void run_on(asio::io_context& ioc, Job job) {
  std::promise<void> done;
  asio::post(ioc, [&] {
    job();
    done.set_value();
  });
  done.get_future().wait();
}

void FaultRelay::reply_503(int requests) {
  impl_->pending_503 = requests;
  // Connections already relaying are closed (cleanly) so that the next requests come in on new
  // ones, where the relay answers them itself.
  run_on(impl_->ioc, [this] {
    boost::system::error_code ec;
    for (auto& [a, b] : impl_->open) {
      a->shutdown(tcp::socket::shutdown_both, ec);
      b->shutdown(tcp::socket::shutdown_both, ec);
    }
    impl_->open.clear();
  });
}
void FaultRelay::reset_all() {
  run_on(impl_->ioc, [this] {
    for (auto& [a, b] : impl_->open) {
      Impl::reset(*a);
      Impl::reset(*b);
      ++impl_->faults;
    }
    impl_->open.clear();
  });
}
std::uint64_t FaultRelay::connections() const { return impl_->accepted.load(); }
std::uint64_t FaultRelay::injected() const { return impl_->faults.load(); }

}  // namespace krest::test
