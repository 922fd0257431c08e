// krest-netem: a network emulator for one server on this machine (relay.hpp), and a measure of
// its own ceiling.
//
//   krest-netem --upstream 127.0.0.1:8443 --rtt-ms 40 --rate 100mbit   prints "listening on PORT"
//   krest-netem --measure 3 [same link options]                          prints the MB/s it carries
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <thread>

#include "relay.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using krest::netem::Clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// "100mbit", "1gbit", "2.5gbit", "50mbyte", "unlimited" -> bytes per second (0: unlimited).
double parse_rate(const std::string& text) {
  if (text == "unlimited" || text == "0") return 0;
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Unit {
    const char* name;
    double bytes;
  };
  static const Unit units[] = {{"bit", 1.0 / 8}, {"kbit", 1e3 / 8}, {"mbit", 1e6 / 8}, {"gbit", 1e9 / 8},
                               {"byte", 1},      {"kbyte", 1e3},    {"mbyte", 1e6},    {"gbyte", 1e9}};
  if (used > 0 && number > 0)
    for (const auto& u : units)
      if (unit == u.name) return number * u.bytes;
  throw CLI::ValidationError("--rate", "'" + text + "' is not a rate like 100mbit, 1gbit, 50mbyte or unlimited");
}

std::chrono::microseconds ms(double v) { return std::chrono::microseconds(static_cast<std::int64_t>(v * 1000)); }

// The relay's ceiling with these settings: `streams` connections each pushing bytes as fast as they
// can through it into a sink, for `seconds`; bytes per second the sink received (after a warm-up).
double measure(krest::netem::RelaySettings settings, double seconds, int streams) {
  asio::io_context ioc(1);
  tcp::acceptor sink(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> stop{false};
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto [ec, s] = co_await sink.async_accept(kTuple);
          if (ec) co_return;
          asio::co_spawn(
              ioc,
              [&, sock = std::make_shared<tcp::socket>(std::move(s))]() -> asio::awaitable<void> {
                std::vector<char> buf(256 * 1024);
                for (;;) {
                  auto [rec, n] = co_await sock->async_read_some(asio::buffer(buf), kTuple);
                  if (rec) co_return;
                  received += n;
                }
              },
              asio::detached);
        }
      },
      asio::detached);
  settings.upstream_port = sink.local_endpoint().port();
  krest::netem::Relay relay(settings);
  for (int i = 0; i < streams; ++i)
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          tcp::socket s(ioc);
          auto [ec] = co_await s.async_connect({asio::ip::make_address("127.0.0.1"), relay.port()}, kTuple);
          if (ec) co_return;
          std::vector<char> buf(1 << 20, 'x');
          while (!stop) {
            auto [wec, n] = co_await asio::async_write(s, asio::buffer(buf), kTuple);
            if (wec) co_return;
          }
        },
        asio::detached);
  std::thread driver([&] { ioc.run(); });
  const auto warm = std::chrono::duration<double>(std::min(0.5, seconds / 4));
  std::this_thread::sleep_for(warm);
  const auto from = received.load();
  const auto started = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double rate =
      static_cast<double>(received.load() - from) / std::chrono::duration<double>(Clock::now() - started).count();
  stop = true;
  ioc.stop();
  driver.join();
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"krest-netem: a network emulator (delay, jitter, bandwidth, queue) in front of one server"};
  app.footer(
      "Usage: krest-netem --upstream HOST:PORT [link options]\n       krest-netem --measure SECONDS [link options]");
  std::string upstream, listen = "127.0.0.1:0", rate = "unlimited", rate_up, rate_down;
  double rtt_ms = 0, jitter_ms = 0, queue_ms = 25, measure_s = 0;
  double delay_up_ms = -1, delay_down_ms = -1;
  int threads = 2, streams = 8;
  std::int64_t window_kb = 4096;
  app.add_option("--upstream", upstream, "the server: HOST:PORT (an IP address)");
  app.add_option("--listen", listen, "where to listen: ADDRESS:PORT (port 0: any)")->capture_default_str();
  app.add_option("--rtt-ms", rtt_ms, "round trip added, half each way")
      ->check(CLI::Range(0.0, 60000.0))
      ->capture_default_str();
  app.add_option("--delay-up-ms", delay_up_ms, "one-way delay client -> server (instead of half of --rtt-ms)")
      ->check(CLI::Range(0.0, 30000.0));
  app.add_option("--delay-down-ms", delay_down_ms, "one-way delay server -> client")->check(CLI::Range(0.0, 30000.0));
  app.add_option("--jitter-ms", jitter_ms, "each piece's one-way delay varies uniformly within +-this (order is kept)")
      ->check(CLI::Range(0.0, 30000.0))
      ->capture_default_str();
  app.add_option("--rate", rate, "bandwidth each way: 100mbit, 1gbit, 50mbyte, unlimited")->capture_default_str();
  app.add_option("--rate-up", rate_up, "bandwidth client -> server (instead of --rate)");
  app.add_option("--rate-down", rate_down, "bandwidth server -> client (instead of --rate)");
  app.add_option("--queue-ms", queue_ms, "bottleneck queue of a limited link, as sending time")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  app.add_option("--window-kb", window_kb, "bytes one connection may have on the way in one direction, KiB")
      ->check(CLI::Range(16, 1 << 20))
      ->capture_default_str();
  bool slow_start = false;
  app.add_flag("--slow-start", slow_start,
               "TCP slow start per connection and way: 10 segments at first and after an idle RTO, doubling "
               "each round trip (Linux's defaults)");
  bool tcp_handshake = false;
  app.add_flag("--tcp-handshake", tcp_handshake,
               "a new connection's first bytes wait a round trip, as for the SYN-ACK on a real link (a connect "
               "here returns at once)");
  app.add_option("--threads", threads, "relay threads")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--measure", measure_s, "measure the relay's own ceiling for SECONDS and exit")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--streams", streams, "connections --measure pushes through at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
    if (upstream.empty() && measure_s == 0) throw CLI::RequiredError("--upstream HOST:PORT or --measure SECONDS");
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  krest::netem::RelaySettings s;
  s.threads = static_cast<unsigned>(threads);
  s.window_bytes = static_cast<std::size_t>(window_kb) * 1024;
  s.slow_start = slow_start;
  s.tcp_handshake = tcp_handshake;
  try {
    auto split = [](const std::string& hp, const char* flag) {
      const auto colon = hp.rfind(':');
      if (colon == std::string::npos) throw CLI::ValidationError(flag, "'" + hp + "' is not HOST:PORT");
      const int port = std::stoi(hp.substr(colon + 1));
      if (port < 0 || port > 65535) throw CLI::ValidationError(flag, "'" + hp + "': port out of range");
      return std::pair{hp.substr(0, colon), static_cast<unsigned short>(port)};
    };
    std::tie(s.listen_host, s.listen_port) = split(listen, "--listen");
    if (!upstream.empty()) std::tie(s.upstream_host, s.upstream_port) = split(upstream, "--upstream");
    s.up.delay = ms(delay_up_ms >= 0 ? delay_up_ms : rtt_ms / 2);
    s.down.delay = ms(delay_down_ms >= 0 ? delay_down_ms : rtt_ms / 2);
    s.up.jitter = s.down.jitter = ms(jitter_ms);
    s.up.bytes_per_second = parse_rate(rate_up.empty() ? rate : rate_up);
    s.down.bytes_per_second = parse_rate(rate_down.empty() ? rate : rate_down);
    s.up.queue = s.down.queue = ms(queue_ms);
  } catch (const CLI::ParseError& e) {
    std::cerr << "krest-netem: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "krest-netem: " << e.what() << "\n";
    return 2;
  }

  try {
    if (measure_s > 0) {
      const double rate_bps = measure(s, measure_s, streams);
      std::printf("relay ceiling: %.0f MB/s (%d streams, one way)\n", rate_bps / 1e6, streams);
      return 0;
    }
    krest::netem::Relay relay(s);
    std::printf("listening on %u\n", relay.port());
    std::fflush(stdout);
    asio::io_context signals_ioc(1);
    asio::signal_set signals(signals_ioc, SIGINT, SIGTERM);
    signals.async_wait([](auto, int) {});
    signals_ioc.run();
    const auto st = relay.stats();
    std::fprintf(stderr, "krest-netem: %llu connections, %llu bytes up, %llu bytes down\n",
                 static_cast<unsigned long long>(st.connections), static_cast<unsigned long long>(st.bytes_up),
                 static_cast<unsigned long long>(st.bytes_down));
  } catch (const std::exception& e) {
    std::cerr << "krest-netem: " << e.what() << "\n";
    return 1;
  }
}
