// The network emulator's TCP slow start: the model alone, then a relay that paces a fresh
// connection's first 150 KB over four round trips as a real link does.
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "congestion_window.hpp"
#include "relay.hpp"

using namespace krest::netem;
using namespace std::chrono_literals;

namespace {
const auto t0 = Clock::time_point{} + 1h;
constexpr std::size_t kInitial = CongestionWindow::kInitialWindow;  // 14,480 bytes
}  // namespace

TEST_CASE("slow start: a connection's window starts at 10 segments and doubles each round trip",
          "[unit][netem]") {
  CongestionWindow w(40ms, 20ms, 4 << 20);
  auto now = t0;
  std::size_t delivered = 0;
  int round_trips = 0;
  // Whole windows sent at once, as a request body is: 150 KB takes four round trips.
  while (delivered < 150'000) {
    const std::size_t allowed = w.allowed(now);
    REQUIRE(allowed == kInitial << round_trips);
    w.sent(now, allowed, now + 20ms);
    CHECK(w.allowed(now + 39ms) == 0);  // nothing acked before the round trip ends
    CHECK(w.next_ack() == now + 40ms);
    delivered += allowed;
    now += 40ms;
    ++round_trips;
  }
  CHECK(round_trips == 4);
  // Bounded by the receiver's window.
  CongestionWindow small(40ms, 20ms, 20'000);
  small.sent(t0, kInitial, t0 + 20ms);
  CHECK(small.allowed(t0 + 40ms) == 20'000);
}

TEST_CASE("slow start: a connection idle past an RTO halves its window per RTO, down to 10 segments",
          "[unit][netem]") {
  CongestionWindow w(40ms, 20ms, 4 << 20);  // RTO: the round trip and 200 ms
  auto now = t0;
  for (int i = 0; i < 4; ++i) {  // four round trips of whole windows: 16 times the first
    const std::size_t allowed = w.allowed(now);
    w.sent(now, allowed, now + 20ms);
    now += 40ms;
  }
  const std::size_t grown = kInitial << 4;
  CHECK(w.allowed(now) == grown);
  const auto last_sent = now - 40ms;
  // Idle for less than an RTO: as it was.
  CHECK(w.allowed(last_sent + 239ms) == grown);
  // One RTO and a bit: halved; three more: back to the initial window, and no lower.
  CHECK(w.allowed(last_sent + 241ms) == grown / 2);
  CongestionWindow v(40ms, 20ms, 4 << 20);
  now = t0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t allowed = v.allowed(now);
    v.sent(now, allowed, now + 20ms);
    now += 40ms;
  }
  CHECK(v.allowed(now - 40ms + 10s) == kInitial);
  // A connection that keeps sending keeps its window.
  v.sent(now + 10s, 1000, now + 10s + 20ms);
  CHECK(v.allowed(now + 10s + 40ms) == kInitial + 1000);
}

TEST_CASE("slow start: through the relay a fresh connection's first 150 KB take four round trips, not one",
          "[unit][netem]") {
  auto one_way_ms = [](bool slow_start) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor sink(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    RelaySettings s;
    s.upstream_port = sink.local_endpoint().port();
    s.up.delay = s.down.delay = 20ms;  // 40 ms round trip
    s.slow_start = slow_start;
    Relay relay(s);
    std::vector<char> body(150'000, 'x');
    boost::asio::ip::tcp::socket client(ioc);
    client.connect({boost::asio::ip::make_address("127.0.0.1"), relay.port()});
    auto server = sink.accept();
    const auto started = Clock::now();
    std::thread writer([&] { boost::asio::write(client, boost::asio::buffer(body)); });
    std::vector<char> got(body.size());
    boost::asio::read(server, boost::asio::buffer(got));
    const auto took = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    writer.join();
    return took;
  };
  // Without: one way, 20 ms. With: three round trips of windows and the last one way, ~140 ms.
  const double without = one_way_ms(false), with = one_way_ms(true);
  CAPTURE(without, with);
  CHECK(without < 80);
  CHECK(with > 130);
  CHECK(with < 400);
}
