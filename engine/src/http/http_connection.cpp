#include "http/http_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

#include "net/address_order.hpp"

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

TlsSessionCache::~TlsSessionCache() {
  for (auto& [peer, session] : sessions_) SSL_SESSION_free(static_cast<SSL_SESSION*>(session));
}

void TlsSessionCache::store(const std::string& peer, void* ssl) {
  SSL_SESSION* s = SSL_get1_session(static_cast<SSL*>(ssl));
  if (!s) return;
  if (!SSL_SESSION_is_resumable(s)) {
    SSL_SESSION_free(s);
    return;
  }
  clear(peer);
  sessions_.emplace_back(peer, s);
}

void TlsSessionCache::offer(const std::string& peer, void* ssl) const {
  for (const auto& [p, session] : sessions_)
    if (p == peer) SSL_set_session(static_cast<SSL*>(ssl), static_cast<SSL_SESSION*>(session));
}

void TlsSessionCache::clear(const std::string& peer) {
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->first != peer) continue;
    SSL_SESSION_free(static_cast<SSL_SESSION*>(it->second));
    sessions_.erase(it);
    return;
  }
}

// One open connection: the socket, and over it an OpenSSL session that reads and writes the
// socket itself (a socket BIO) rather than through Asio's memory BIO pair, which copied every byte
// once more and took several trips through the io_context per TLS record. The coroutines below
// call SSL directly and wait for readiness with async_wait when it says WANT_READ or WANT_WRITE.
struct HttpConnection::Streams {
  explicit Streams(const asio::any_io_executor& ex) : socket(ex), deadline(ex) {}
  ~Streams() {
    if (ssl) SSL_free(ssl);
  }
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;

  tcp::socket socket;
  SSL* ssl = nullptr;  // none for http://
  // One deadline per connect or exchange (not a timer per operation): when it passes, the socket's
  // waits are cancelled and timed_out tells why.
  asio::steady_timer deadline;
  std::uint64_t deadline_generation = 0;
  bool timed_out = false;
  // Read and not yet parsed: in[begin, end).
  std::vector<char> in = std::vector<char>(kReadBufferBytes);
  std::size_t begin = 0, end = 0;
  std::string head;  // the request's header, and the start of its body, as one write
  bool session_stored = false;
  std::string peer;  // the address connected to, "address:port": whose TLS session this is
  bool used = false;  // has carried a request

  std::size_t buffered() const { return end - begin; }
};

namespace {

using Streams = HttpConnection::Streams;
using error_code = boost::system::error_code;

void arm_deadline(const std::shared_ptr<Streams>& s, std::chrono::steady_clock::time_point at) {
  s->timed_out = false;
  const auto generation = ++s->deadline_generation;
  s->deadline.expires_at(at);
  s->deadline.async_wait([weak = std::weak_ptr<Streams>(s), generation](error_code ec) {
    auto streams = weak.lock();
    // A wait re-armed since, or already cancelled, is not this deadline any more.
    if (ec || !streams || streams->deadline_generation != generation) return;
    streams->timed_out = true;
    error_code ignored;
    streams->socket.cancel(ignored);
  });
}

void disarm_deadline(Streams& s) {
  ++s.deadline_generation;
  s.deadline.cancel();
}

// What an SSL call's failure means, as the error codes asio::ssl::stream gave for the same.
error_code tls_error(SSL* ssl, int result) {
  const int saved_errno = errno;
  const int err = SSL_get_error(ssl, result);
  if (err == SSL_ERROR_ZERO_RETURN) return asio::error::eof;  // the peer's close_notify
  const unsigned long code = ERR_get_error();
  if (err == SSL_ERROR_SYSCALL && code == 0) {
    // The socket failed (errno says how), or ended without close_notify: cut off mid-stream.
    if (saved_errno != 0) return error_code(saved_errno, boost::system::system_category());
    return asio::ssl::error::stream_truncated;
  }
  if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return asio::ssl::error::stream_truncated;
  if (code != 0) return error_code(static_cast<int>(code), asio::error::get_ssl_category());
  return asio::error::connection_reset;
}

asio::awaitable<error_code> wait_ready(Streams& s, tcp::socket::wait_type what) {
  auto [ec] = co_await s.socket.async_wait(what, kTuple);
  if (s.timed_out) co_return beast::error::timeout;
  co_return ec;
}

// Some bytes into [p, p + n), at least one; eof when the peer closed cleanly.
asio::awaitable<std::pair<error_code, std::size_t>> read_some(Streams& s, char* p, std::size_t n) {
  for (;;) {
    if (s.timed_out) co_return std::pair{error_code(beast::error::timeout), std::size_t{0}};
    auto wait = tcp::socket::wait_read;
    if (s.ssl) {
      ERR_clear_error();
      errno = 0;
      std::size_t got = 0;
      const int r = SSL_read_ex(s.ssl, p, n, &got);
      if (r == 1) co_return std::pair{error_code{}, got};
      const int err = SSL_get_error(s.ssl, r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
        co_return std::pair{tls_error(s.ssl, r), std::size_t{0}};
      if (err == SSL_ERROR_WANT_WRITE) wait = tcp::socket::wait_write;
    } else {
      error_code ec;
      const std::size_t got = s.socket.read_some(asio::buffer(p, n), ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) co_return std::pair{ec, got};
    }
    if (auto ec = co_await wait_ready(s, wait)) co_return std::pair{ec, std::size_t{0}};
  }
}

// All of [p, p + n); `sent` turns true once any of it has left.
asio::awaitable<error_code> write_all(Streams& s, const char* p, std::size_t n, bool& sent) {
  while (n > 0) {
    if (s.timed_out) co_return beast::error::timeout;
    auto wait = tcp::socket::wait_write;
    std::size_t wrote = 0;
    if (s.ssl) {
      ERR_clear_error();
      errno = 0;
      const int r = SSL_write_ex(s.ssl, p, n, &wrote);
      if (r != 1) {
        const int err = SSL_get_error(s.ssl, r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) co_return tls_error(s.ssl, r);
        if (err == SSL_ERROR_WANT_READ) wait = tcp::socket::wait_read;
      }
    } else {
      error_code ec;
      wrote = s.socket.write_some(asio::buffer(p, n), ec);
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again) co_return ec;
    }
    if (wrote > 0) {
      sent = true;
      p += wrote;
      n -= wrote;
      continue;
    }
    if (auto ec = co_await wait_ready(s, wait)) co_return ec;
  }
  co_return error_code{};
}

asio::awaitable<error_code> handshake(Streams& s) {
  for (;;) {
    if (s.timed_out) co_return beast::error::timeout;
    ERR_clear_error();
    errno = 0;
    const int r = SSL_connect(s.ssl);
    if (r == 1) co_return error_code{};
    const int err = SSL_get_error(s.ssl, r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) co_return tls_error(s.ssl, r);
    const auto wait = err == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write;
    if (auto ec = co_await wait_ready(s, wait)) co_return ec;
  }
}

// The request's start line and fields, as Beast would write them (the body is a string_body, so
// prepare_payload() has set Content-Length).
void append_head(std::string& out, const Request& req) {
  out.append(req.method_string());
  out += ' ';
  out.append(req.target());
  out += " HTTP/1.1\r\n";
  for (const auto& field : req) {
    out.append(field.name_string());
    out += ": ";
    out.append(field.value());
    out += "\r\n";
  }
  out += "\r\n";
}

// Room for more at the end of the read buffer: what is unread moves to the front.
bool make_room(Streams& s) {
  if (s.begin == s.end) s.begin = s.end = 0;
  if (s.end < s.in.size()) return true;
  if (s.begin == 0) return false;  // a full buffer of one header: too large
  std::memmove(s.in.data(), s.in.data() + s.begin, s.buffered());
  s.end -= s.begin;
  s.begin = 0;
  return true;
}

// Feeds the parser what is buffered, reading more until `done` says enough.
template <class Parser, class Done>
asio::awaitable<error_code> parse_until(Streams& s, Parser& parser, Done done) {
  for (;;) {
    if (s.buffered() > 0) {
      error_code ec;
      const std::size_t used = parser.put(asio::buffer(s.in.data() + s.begin, s.buffered()), ec);
      s.begin += used;
      if (ec && ec != bhttp::error::need_more) co_return ec;
      if (done()) co_return error_code{};
      if (!ec && used > 0) continue;  // more elements in what is buffered
    }
    if (!make_room(s)) co_return bhttp::error::header_limit;
    auto [ec, n] = co_await read_some(s, s.in.data() + s.end, s.in.size() - s.end);
    if (ec == asio::error::eof && parser.got_some()) {
      // A body delimited by the end of the connection ends here.
      error_code eof_ec;
      parser.put_eof(eof_ec);
      if (eof_ec) co_return eof_ec;
      if (done()) co_return error_code{};
      co_return bhttp::error::partial_message;
    }
    if (ec == asio::error::eof) co_return bhttp::error::end_of_stream;
    if (ec) co_return ec;
    s.end += n;
  }
}

}  // namespace

HttpConnection::HttpConnection(asio::any_io_executor ex, net::BaseUrl server, asio::ssl::context& tls,
                               ConnectionOptions options, TlsSessionCache* sessions, BodyPool* bodies,
                               net::HostAddresses* addresses)
    : ex_(std::move(ex)),
      server_(std::move(server)),
      tls_(tls),
      options_(options),
      sessions_(sessions),
      bodies_(bodies),
      own_addresses_(addresses ? nullptr : std::make_unique<net::HostAddresses>(ex_, server_.host, server_.port)),
      addresses_(addresses ? addresses : own_addresses_.get()) {}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::is_open() const { return streams_ != nullptr; }

void HttpConnection::close() {
  if (!streams_) return;
  error_code ignored;
  streams_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  streams_->socket.close(ignored);
  // An exchange running on it holds its own reference, and fails with operation_aborted.
  streams_.reset();
}

void HttpConnection::drop_if_closed_by_peer() {
  // A connection that has not carried a request yet may hold the TLS 1.3 session tickets the
  // server sends after the handshake: readable, but alive. Its first response read takes them.
  if (!streams_ || !streams_->used) return;
  // Bytes already buffered but unread also mean the connection is out of step.
  if (streams_->buffered() > 0 || (streams_->ssl && SSL_pending(streams_->ssl) > 0)) {
    close();
    return;
  }
  pollfd p{streams_->socket.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, 0) != 0) close();  // readable (data or EOF), error or hang-up
}

asio::awaitable<error_code> HttpConnection::connect() {
  // Timed for the pool, which tells handshakes that wait behind other work from the link's own
  // (ConnectionPool::requests_stalled_connecting).
  connecting_since_ = std::chrono::steady_clock::now();
  const auto ec = co_await connect_steps();
  connecting_since_.reset();
  if (!ec && on_connected_) on_connected_();
  co_return ec;
}

asio::awaitable<error_code> HttpConnection::connect_steps() {
  // One deadline for the lookup and the handshakes together, as the setting says.
  const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  auto found = co_await addresses_->lookup(deadline);
  if (found.ec == asio::error::timed_out) co_return beast::error::timeout;
  if (found.ec) co_return found.ec;
  // The handshakes' time, not the name lookup's: a lookup may wait for a slow DNS server (the
  // first, and one every HostAddresses::kKeptFor), which would make a short link look long.
  const auto handshakes_began = std::chrono::steady_clock::now();
  auto s = std::make_shared<Streams>(ex_);
  arm_deadline(s, deadline);
  const auto order = net::address_order(std::move(found.addresses), options_.first_address);
  auto [cec, ep] = co_await asio::async_connect(s->socket, order, kTuple);
  if (s->timed_out) co_return beast::error::timeout;
  if (cec) {
    addresses_->forget();  // none answered: where the name points now is worth asking again
    co_return cec;
  }
  error_code ec;
  s->socket.set_option(tcp::no_delay(true), ec);
  s->socket.non_blocking(true, ec);
  if (ec) co_return ec;
  s->peer = ep.address().to_string() + ":" + std::to_string(ep.port());
  if (server_.tls) {
    s->ssl = SSL_new(tls_.native_handle());
    if (!s->ssl || SSL_set_fd(s->ssl, static_cast<int>(s->socket.native_handle())) != 1)
      co_return error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    // Partial writes: a write returns what went out before the socket filled, and is continued
    // with the rest (possibly from a buffer that moved).
    SSL_set_mode(s->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // SNI for host names (RFC 6066 forbids IP literals there); the certificate is checked against
    // the name or address we dialled either way (when the context verifies at all).
    if (is_ip_literal(server_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), server_.host.c_str());
    } else {
      SSL_set_tlsext_host_name(s->ssl, server_.host.c_str());
      SSL_set_hostflags(s->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(s->ssl, server_.host.c_str());
    }
    if (sessions_) sessions_->offer(s->peer, s->ssl);
    if (auto hec = co_await handshake(*s)) {
      // A session the server no longer honours is not offered again.
      if (sessions_) sessions_->clear(s->peer);
      co_return hec;
    }
    if (SSL_session_reused(s->ssl)) ++resumed_;
  }
  disarm_deadline(*s);
  streams_ = std::move(s);
  ++connects_;
  fastest_connect_ = std::min(fastest_connect_, std::chrono::steady_clock::now() - handshakes_began);
  co_return error_code{};
}

asio::awaitable<error_code> HttpConnection::open() {
  if (streams_) co_return error_code{};
  last_used_ = std::chrono::steady_clock::now();
  co_return co_await connect();
}

std::chrono::milliseconds retry_after(const Response& response) {
  const auto it = response.find(bhttp::field::retry_after);
  if (it == response.end()) return std::chrono::milliseconds(0);
  const auto text = it->value();
  std::uint32_t seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  // An HTTP-date (rare from an API) is not worth a date parser: the caller's backoff stands.
  if (ec != std::errc{} || end != text.data() + text.size()) return std::chrono::milliseconds(0);
  return std::chrono::seconds(std::min<std::uint32_t>(seconds, 3600));
}

asio::awaitable<Exchange> HttpConnection::exchange(Request& req, const HeaderCallback& on_header) {
  Exchange out;
  out.server = &server_;
  last_used_ = std::chrono::steady_clock::now();
  const auto started = last_used_;
  if (!streams_) {
    out.connected = true;
    out.ec = co_await connect();
    if (out.ec) co_return out;
  }
  if (req.find(bhttp::field::host) == req.end()) req.set(bhttp::field::host, server_.host_header());
  req.prepare_payload();

  const std::shared_ptr<Streams> s = streams_;  // close() meanwhile must not free what this uses
  s->used = true;
  arm_deadline(s, std::chrono::steady_clock::now() + options_.request_timeout);

  // The header and as much of the body as fills one TLS record go out as one write; the rest of
  // the body from where it is.
  constexpr std::size_t kRecordBytes = 16 * 1024;
  const std::string& body = req.body();
  s->head.clear();
  append_head(s->head, req);
  const std::size_t with_head = s->head.size() < kRecordBytes ? std::min(body.size(), kRecordBytes - s->head.size()) : 0;
  s->head.append(body, 0, with_head);
  out.ec = co_await write_all(*s, s->head.data(), s->head.size(), out.request_sent);
  if (!out.ec) out.ec = co_await write_all(*s, body.data() + with_head, body.size() - with_head, out.request_sent);

  if (!out.ec) out.ec = co_await read_response(*s, out, on_header);
  disarm_deadline(*s);
  last_used_ = std::chrono::steady_clock::now();
  out.elapsed = last_used_ - started;
  if (!out.ec && s->ssl && sessions_ && !s->session_stored) {
    // TLS 1.3 tickets arrive after the handshake, so the session is worth keeping only now.
    sessions_->store(s->peer, s->ssl);
    s->session_stored = true;
  }
  if ((out.ec || !out.response.keep_alive()) && streams_ == s) close();
  co_return out;
}

asio::awaitable<error_code> HttpConnection::read_response(Streams& s, Exchange& out, const HeaderCallback& on_header) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  if (auto ec = co_await parse_until(s, parser, [&] { return parser.is_header_done(); })) co_return ec;
  if (on_header) on_header(parser.get().base());
  // A body of known length (what krest-proxy and HDInsight send) is read straight into its string:
  // what came with the header, then the rest decrypted into place. Through the parser it would be
  // copied once more, into a string zero-filled as it grows; a recycled string of the right size
  // is written over instead.
  const auto length = parser.content_length();
  if (length && *length > 0 && *length <= options_.max_response_bytes && !parser.chunked()) {
    const auto size = static_cast<std::size_t>(*length);
    std::string body = bodies_ ? bodies_->take_sized(size) : std::string(size, '\0');
    std::size_t got = std::min(s.buffered(), size);
    std::memcpy(body.data(), s.in.data() + s.begin, got);
    s.begin += got;
    while (got < size) {
      auto [ec, n] = co_await read_some(s, body.data() + got, size - got);
      if (ec == asio::error::eof) co_return bhttp::error::partial_message;
      if (ec) co_return ec;
      got += n;
    }
    out.response = parser.release();
    out.response.body() = std::move(body);
    co_return error_code{};
  }
  if (bodies_) parser.get().body() = bodies_->take();
  if (!parser.is_done())
    if (auto ec = co_await parse_until(s, parser, [&] { return parser.is_done(); })) co_return ec;
  out.response = parser.release();
  co_return error_code{};
}

}  // namespace krest::http
