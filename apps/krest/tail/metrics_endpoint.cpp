#include "tail/metrics_endpoint.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <stdexcept>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace krest::cli {

struct MetricsEndpoint::State {
  State(asio::any_io_executor ex, std::function<std::string()> r) : acceptor(std::move(ex)), render(std::move(r)) {}
  tcp::acceptor acceptor;
  std::function<std::string()> render;
  bool stopped = false;
};

namespace {

// One scrape: read a request, answer it, close. Every wait is bounded by the stream's timer.
asio::awaitable<void> serve(std::shared_ptr<MetricsEndpoint::State> state, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8 * 1024);
  stream.expires_after(std::chrono::seconds(5));
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (ec || state->stopped) co_return;
  const auto& req = parser.get();
  http::response<http::string_body> res;
  res.version(11);
  res.keep_alive(false);
  if (req.method() != http::verb::get || req.target() != "/metrics") {
    res.result(http::status::not_found);
    res.body() = "GET /metrics\n";
  } else {
    res.result(http::status::ok);
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.body() = state->render();
  }
  res.prepare_payload();
  stream.expires_after(std::chrono::seconds(5));
  co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<MetricsEndpoint::State> state) {
  while (!state->stopped) {
    auto [ec, socket] = co_await state->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // a connection that failed before it was accepted
    asio::co_spawn(state->acceptor.get_executor(), serve(state, std::move(socket)), asio::detached);
  }
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(asio::any_io_executor ex, const std::string& address, std::uint16_t port,
                                 std::function<std::string()> render)
    : state_(std::make_shared<State>(ex, std::move(render))) {
  beast::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("metrics address '" + address + "' is not an IP address");
  tcp::endpoint endpoint(ip, port);
  state_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state_->acceptor.bind(endpoint, ec);
  if (!ec) state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen for metrics on " + address + ":" + std::to_string(port) + ": " +
                             ec.message());
  asio::co_spawn(ex, accept_loop(state_), asio::detached);
}

MetricsEndpoint::~MetricsEndpoint() {
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

std::uint16_t MetricsEndpoint::port() const { return state_->acceptor.local_endpoint().port(); }

}  // namespace krest::cli
