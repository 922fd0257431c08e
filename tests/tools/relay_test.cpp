// The network emulator's relay: what it adds to a connection's start. A connect to it returns at
// once (this machine's kernel answers), so with tcp_handshake it holds the first bytes a round
// trip, as a real link holds them until the SYN-ACK comes back.
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>

#include "relay.hpp"

using namespace krest::netem;
using namespace std::chrono_literals;

namespace {

// Milliseconds from the client's connect to its first byte at the server, and from the server's
// answer to its arrival at the client (a connection's later bytes: one way only).
struct Timing {
  double first_byte = 0, answer = 0;
};

Timing time_first_bytes(bool tcp_handshake) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor sink(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  RelaySettings s;
  s.upstream_port = sink.local_endpoint().port();
  s.up.delay = s.down.delay = 20ms;  // 40 ms round trip
  s.tcp_handshake = tcp_handshake;
  Relay relay(s);
  boost::asio::ip::tcp::socket client(ioc);
  const auto started = Clock::now();
  client.connect({boost::asio::ip::make_address("127.0.0.1"), relay.port()});
  char byte = 'x';
  boost::asio::write(client, boost::asio::buffer(&byte, 1));
  auto server = sink.accept();
  boost::asio::read(server, boost::asio::buffer(&byte, 1));
  Timing t;
  t.first_byte = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  const auto answered = Clock::now();
  boost::asio::write(server, boost::asio::buffer(&byte, 1));
  boost::asio::read(client, boost::asio::buffer(&byte, 1));
  t.answer = std::chrono::duration<double, std::milli>(Clock::now() - answered).count();
  return t;
}

}  // namespace

TEST_CASE("relay: with the TCP handshake a connection's first bytes cross a round trip later", "[unit][netem]") {
  // Without: one way, 20 ms. With: the handshake's 40 ms round trip, then the 20 ms way.
  const auto without = time_first_bytes(false), with = time_first_bytes(true);
  CAPTURE(without.first_byte, with.first_byte, without.answer, with.answer);
  CHECK(without.first_byte >= 19);
  CHECK(without.first_byte < 50);
  CHECK(with.first_byte >= 59);
  CHECK(with.first_byte < 300);
  // Only the start: later bytes cross in one way's time either way.
  CHECK(with.answer >= 19);
  CHECK(with.answer < 50);
}
