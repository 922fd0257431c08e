#include "http/http_connection.hpp"

#include <openssl/ssl.h>
#include <poll.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <optional>

namespace krest::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBufferBytes = 64 * 1024;

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}
}  // namespace

TlsSessionCache::~TlsSessionCache() { clear(); }

void TlsSessionCache::store(void* ssl) {
  SSL_SESSION* s = SSL_get1_session(static_cast<SSL*>(ssl));
  if (!s) return;
  if (!SSL_SESSION_is_resumable(s)) {
    SSL_SESSION_free(s);
    return;
  }
  clear();
  session_ = s;
}

void TlsSessionCache::offer(void* ssl) const {
  if (session_) SSL_set_session(static_cast<SSL*>(ssl), static_cast<SSL_SESSION*>(session_));
}

void TlsSessionCache::clear() {
  if (session_) SSL_SESSION_free(static_cast<SSL_SESSION*>(session_));
  session_ = nullptr;
}

struct HttpConnection::Streams {
  std::optional<beast::tcp_stream> plain;
  std::optional<asio::ssl::stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool session_stored = false;
  bool used = false;  // has carried a request

  beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *plain; }
};

HttpConnection::HttpConnection(asio::any_io_executor ex, net::BaseUrl server, asio::ssl::context& tls,
                               ConnectionOptions options, TlsSessionCache* sessions, BodyPool* bodies)
    : ex_(std::move(ex)), server_(std::move(server)), tls_(tls), options_(options), sessions_(sessions), bodies_(bodies) {}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::is_open() const { return streams_ != nullptr; }

void HttpConnection::close() {
  if (!streams_) return;
  boost::system::error_code ignored;
  streams_->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  streams_->lowest().close();
  // The running exchange still refers to the streams; it drops them when it ends.
  if (!exchanging_) streams_.reset();
}

void HttpConnection::drop_if_closed_by_peer() {
  // A connection that has not carried a request yet may hold the TLS 1.3 session tickets the
  // server sends after the handshake: readable, but alive. Its first response read takes them.
  if (!streams_ || !streams_->used) return;
  // Bytes already buffered but unread also mean the connection is out of step.
  if (streams_->buffer.size() > 0) {
    close();
    return;
  }
  pollfd p{streams_->lowest().socket().native_handle(), POLLIN, 0};
  if (::poll(&p, 1, 0) != 0) close();  // readable (data or EOF), error or hang-up
}

asio::awaitable<boost::system::error_code> HttpConnection::connect() {
  auto s = std::make_unique<Streams>();
  // Room for a TLS record's worth and more per read: an empty flat_buffer would have Beast read
  // a response a few hundred bytes at a time, each read a trip through the TLS engine.
  s->buffer.reserve(kReadBufferBytes);
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
    SSL* ssl = s->tls->native_handle();
    if (!is_ip_literal(server_.host)) SSL_set_tlsext_host_name(ssl, server_.host.c_str());
    s->tls->set_verify_callback(asio::ssl::host_name_verification(server_.host));
    if (sessions_) sessions_->offer(ssl);
    auto [hec] = co_await s->tls->async_handshake(asio::ssl::stream_base::client, kTuple);
    if (hec) {
      // A session the server no longer honours is not offered again.
      if (sessions_) sessions_->clear();
      co_return hec;
    }
    if (SSL_session_reused(ssl)) ++resumed_;
  }
  streams_ = std::move(s);
  ++connects_;
  co_return boost::system::error_code{};
}

asio::awaitable<boost::system::error_code> HttpConnection::open() {
  if (streams_) co_return boost::system::error_code{};
  last_used_ = std::chrono::steady_clock::now();
  co_return co_await connect();
}

asio::awaitable<Exchange> HttpConnection::exchange(Request& req, const HeaderCallback& on_header) {
  Exchange out;
  last_used_ = std::chrono::steady_clock::now();
  if (!streams_) {
    out.connected = true;
    out.ec = co_await connect();
    if (out.ec) co_return out;
  }
  if (req.find(bhttp::field::host) == req.end()) req.set(bhttp::field::host, server_.host_header());
  req.prepare_payload();

  auto& s = *streams_;
  s.used = true;
  exchanging_ = true;
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
    auto [hec, hn] = co_await bhttp::async_read_header(stream, s.buffer, parser, kTuple);
    if (hec) {
      out.ec = hec;
      co_return;
    }
    if (on_header) on_header(parser.get().base());
    // A body of known length (what krest-proxy and HDInsight send) is read straight into its
    // string: what the header read buffered past the header, then the rest from the stream.
    // Through the parser it would be copied once more from the read buffer, into a string
    // zero-filled as it grows; a recycled string of the right size is written over instead.
    const auto length = parser.content_length();
    if (length && *length > 0 && *length <= options_.max_response_bytes && !parser.chunked()) {
      std::string body = bodies_ ? bodies_->take_sized(static_cast<std::size_t>(*length))
                                 : std::string(static_cast<std::size_t>(*length), '\0');
      const std::size_t buffered = std::min<std::size_t>(s.buffer.size(), body.size());
      asio::buffer_copy(asio::buffer(body.data(), buffered), s.buffer.data());
      s.buffer.consume(buffered);
      if (buffered < body.size()) {
        auto rest = asio::buffer(body.data() + buffered, body.size() - buffered);
        auto [rec, read] = co_await asio::async_read(stream, rest, kTuple);
        if (rec) {
          out.ec = rec;
          co_return;
        }
      }
      out.response = parser.release();
      out.response.body() = std::move(body);
      co_return;
    }
    if (bodies_) parser.get().body() = bodies_->take();
    if (!parser.is_done()) {
      auto [rec, read] = co_await bhttp::async_read(stream, s.buffer, parser, kTuple);
      if (rec) {
        out.ec = rec;
        co_return;
      }
    }
    out.response = parser.release();
  };
  if (s.tls)
    co_await run(*s.tls);
  else
    co_await run(*s.plain);
  exchanging_ = false;
  last_used_ = std::chrono::steady_clock::now();
  if (!out.ec && s.tls && sessions_ && !s.session_stored) {
    // TLS 1.3 tickets arrive after the handshake, so the session is worth keeping only now.
    sessions_->store(s.tls->native_handle());
    s.session_stored = true;
  }
  if (out.ec || !out.response.keep_alive()) close();
  co_return out;
}

}  // namespace krest::http
