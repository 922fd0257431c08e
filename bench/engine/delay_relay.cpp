// A TCP relay on 127.0.0.1 that delays every byte by a fixed time in each direction, so that a
// loopback benchmark sees a real network's round trip (2 ms RTT: --delay-ms 1). Order is kept;
// bandwidth is not limited.
//
//   delay_relay UPSTREAM_PORT DELAY_MS     prints "listening on PORT", then relays until killed
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

struct Direction {
  std::deque<std::pair<Clock::time_point, std::string>> queue;
  asio::steady_timer wake;
  bool closed = false;
  explicit Direction(asio::any_io_executor ex) : wake(ex, Clock::time_point::max()) {}
};

asio::awaitable<void> reader(std::shared_ptr<tcp::socket> from, std::shared_ptr<Direction> d,
                             std::chrono::microseconds delay) {
  std::string buf(65536, '\0');
  for (;;) {
    auto [ec, n] = co_await from->async_read_some(asio::buffer(buf), kTuple);
    if (ec) break;
    d->queue.emplace_back(Clock::now() + delay, buf.substr(0, n));
    d->wake.cancel();
  }
  d->closed = true;
  d->wake.cancel();
}

asio::awaitable<void> writer(std::shared_ptr<tcp::socket> to, std::shared_ptr<Direction> d) {
  asio::steady_timer until(to->get_executor());
  for (;;) {
    if (d->queue.empty()) {
      if (d->closed) break;
      d->wake.expires_at(Clock::time_point::max());
      co_await d->wake.async_wait(kTuple);
      continue;
    }
    until.expires_at(d->queue.front().first);
    co_await until.async_wait(kTuple);
    std::string chunk = std::move(d->queue.front().second);
    d->queue.pop_front();
    auto [ec, n] = co_await asio::async_write(*to, asio::buffer(chunk), kTuple);
    if (ec) break;
  }
  boost::system::error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client, unsigned short upstream,
                            std::chrono::microseconds delay) {
  auto ex = client->get_executor();
  auto server = std::make_shared<tcp::socket>(ex);
  auto [ec] = co_await server->async_connect({asio::ip::make_address("127.0.0.1"), upstream}, kTuple);
  if (ec) co_return;
  server->set_option(tcp::no_delay(true));
  auto up = std::make_shared<Direction>(ex), down = std::make_shared<Direction>(ex);
  asio::co_spawn(ex, reader(client, up, delay), asio::detached);
  asio::co_spawn(ex, writer(server, up), asio::detached);
  asio::co_spawn(ex, reader(server, down, delay), asio::detached);
  asio::co_spawn(ex, writer(client, down), asio::detached);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, unsigned short upstream, std::chrono::microseconds delay) {
  for (;;) {
    auto s = std::make_shared<tcp::socket>(acceptor.get_executor());
    auto [ec] = co_await acceptor.async_accept(*s, kTuple);
    if (ec) co_return;
    s->set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(s, upstream, delay), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: delay_relay UPSTREAM_PORT DELAY_MS\n");
    return 2;
  }
  const auto upstream = static_cast<unsigned short>(std::atoi(argv[1]));
  const auto delay = std::chrono::microseconds(static_cast<long>(std::atof(argv[2]) * 1000));
  asio::io_context ioc(1);
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  std::printf("listening on %u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::co_spawn(ioc, accept_loop(acceptor, upstream, delay), asio::detached);
  ioc.run();
}
