#include "http/http_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>

namespace krest::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}
}  // namespace

struct HttpConnection::Streams {
  std::optional<beast::tcp_stream> plain;
  std::optional<asio::ssl::stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *plain; }
};

HttpConnection::HttpConnection(asio::any_io_executor ex, net::BaseUrl server, asio::ssl::context& tls,
                               ConnectionOptions options)
    : ex_(std::move(ex)), server_(std::move(server)), tls_(tls), options_(options) {}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::is_open() const { return streams_ != nullptr; }

void HttpConnection::close() {
  if (!streams_) return;
  boost::system::error_code ignored;
  streams_->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  streams_->lowest().close();
  streams_.reset();
}

asio::awaitable<boost::system::error_code> HttpConnection::connect() {
  auto s = std::make_unique<Streams>();
  s->plain.emplace(ex_);
  auto& lowest = *s->plain;
  lowest.expires_after(options_.connect_timeout);
  tcp::resolver resolver(ex_);
  auto [rec, endpoints] = co_await resolver.async_resolve(server_.host, server_.port, kTuple);
  if (rec) co_return rec;
  auto [cec, ep] = co_await lowest.async_connect(endpoints, kTuple);
  if (cec) co_return cec;
  lowest.socket().set_option(tcp::no_delay(true));
  if (server_.tls) {
    s->tls.emplace(std::move(*s->plain), tls_);
    s->plain.reset();
    // SNI for host names (RFC 6066 forbids IP literals there); the certificate is checked against
    // the name or address we dialled either way.
    if (!is_ip_literal(server_.host)) SSL_set_tlsext_host_name(s->tls->native_handle(), server_.host.c_str());
    s->tls->set_verify_callback(asio::ssl::host_name_verification(server_.host));
    auto [hec] = co_await s->tls->async_handshake(asio::ssl::stream_base::client, kTuple);
    if (hec) co_return hec;
  }
  streams_ = std::move(s);
  ++connects_;
  co_return boost::system::error_code{};
}

asio::awaitable<Exchange> HttpConnection::exchange(Request& req) {
  Exchange out;
  if (!streams_) {
    out.ec = co_await connect();
    if (out.ec) co_return out;
  }
  if (req.find(bhttp::field::host) == req.end()) req.set(bhttp::field::host, server_.host_header());
  req.prepare_payload();

  auto& s = *streams_;
  s.lowest().expires_after(options_.request_timeout);
  auto run = [&](auto& stream) -> asio::awaitable<void> {
    auto [wec, written] = co_await bhttp::async_write(stream, req, kTuple);
    out.request_sent = written > 0;
    if (wec) {
      out.ec = wec;
      co_return;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    auto [rec, read] = co_await bhttp::async_read(stream, s.buffer, parser, kTuple);
    if (rec) {
      out.ec = rec;
      co_return;
    }
    out.response = parser.release();
  };
  if (s.tls)
    co_await run(*s.tls);
  else
    co_await run(*s.plain);
  if (out.ec || !out.response.keep_alive()) close();
  co_return out;
}

}  // namespace krest::http
