#include "server/session.hpp"

#include "server/request_checks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/ioctl.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace krest::proxy {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kScreenBodiesAbove = 64 * 1024;
// The most a TLS record carries (16 KiB) and its framing: a read with that much queued completes
// without waiting for the link.
constexpr std::uint64_t kTlsRecordBytes = 16 * 1024 + 256;

template <class Stream>
asio::awaitable<void> reply_and_close(Stream& stream, SessionEnv& env, unsigned status, std::string_view message) {
  Response res = error_reply(11, status, message);
  res.keep_alive(false);
  res.set(http::field::server, "krest-proxy");
  beast::get_lowest_layer(stream).expires_after(milliseconds(env.config.write_timeout_ms));
  co_await http::async_write(stream, res, kTuple);
  env.metrics.record_request(Route::unknown, status, 0);
}

// Bytes waiting in the kernel's receive queue of a connection (0 where it cannot say).
std::size_t queued_bytes(asio::ip::tcp::socket& socket) {
  int n = 0;
  return ::ioctl(socket.native_handle(), FIONREAD, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool expects_continue(const Request& req) {
  auto it = req.find(http::field::expect);
  return it != req.end() && beast::iequals(it->value(), "100-continue");
}

// 503 with Retry-After for a request whose body would pass max_body_memory_bytes; the connection
// closes (the body is left unread on it).
template <class Stream>
asio::awaitable<void> refuse_for_memory(Stream& stream, SessionEnv& env) {
  env.metrics.body_memory_refused();
  Response busy = memory_busy_reply(11, env.bodies.limit());
  busy.keep_alive(false);
  busy.set(http::field::server, "krest-proxy");
  beast::get_lowest_layer(stream).expires_after(milliseconds(env.config.write_timeout_ms));
  co_await http::async_write(stream, busy, kTuple);
  env.metrics.record_request(Route::unknown, 503, 0);
}

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, SessionEnv& env, SessionControl& ctl) {
  const ProxyConfig& config = env.config;
  auto& socket = beast::get_lowest_layer(stream);
  // Who is asking, for the throttles that count per source.
  boost::system::error_code peer_ec;
  const std::string peer = socket.socket().remote_endpoint(peer_ec).address().to_string();
  beast::flat_buffer buffer;
  for (;;) {
    if (env.stopping.load()) co_return;
    if (buffer.size() == 0) {
      // Waiting for the next request: only the idle timeout applies, and shutdown may end the wait.
      ctl.idle = true;
      socket.expires_after(milliseconds(config.idle_timeout_ms));
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16 * 1024), kTuple);
      ctl.idle = false;
      if (ec) co_return;  // the client closed, the idle timeout passed, or the server is stopping
      buffer.commit(n);
    }

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(static_cast<std::uint64_t>(config.max_body_bytes));
    // A slow sender (slowloris) gets header_timeout for the whole header, however it trickles in.
    socket.expires_after(milliseconds(config.header_timeout_ms));
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (hec == http::error::header_limit) {
      // No line end in all of it: the request line alone is too long, a URI too long (RFC 9110).
      const std::string_view seen(static_cast<const char*>(buffer.data().data()), buffer.size());
      if (seen.find("\r\n") == std::string_view::npos)
        co_await reply_and_close(stream, env, 414,
                                 "request line longer than max_header_bytes = " + std::to_string(config.max_header_bytes));
      else
        co_await reply_and_close(
            stream, env, 431, "request header larger than max_header_bytes = " + std::to_string(config.max_header_bytes));
      co_return;
    }
    if (hec == http::error::body_limit) {
      // A declared Content-Length over the limit: Beast refuses it as soon as the header is parsed,
      // before any of the body is read. (A chunked body that grows too large is caught below.)
      co_await reply_and_close(stream, env, 413,
                               "request body of " + std::to_string(parser.content_length().value_or(0)) +
                                   " bytes is larger than max_body_bytes = " + std::to_string(config.max_body_bytes));
      co_return;
    }
    if (hec == beast::error::timeout || hec == http::error::end_of_stream || hec == asio::error::eof ||
        hec == asio::error::connection_reset || hec == asio::error::operation_aborted)
      co_return;
    if (hec) {
      co_await reply_and_close(stream, env, 400, "malformed HTTP request: " + hec.message());
      co_return;
    }
    BodyAllowance body_limit;
    const auto declared = parser.content_length();
    const std::optional<std::uint64_t> declared_length =
        declared ? std::optional<std::uint64_t>(*declared) : std::nullopt;  // Beast's is boost::optional
    if (auto refused = check_request_header(parser.get(), declared_length, parser.is_done(), config, env.codings,
                                            body_limit)) {
      const bool keep_alive = !refused->close && parser.get().keep_alive();
      refused->response.keep_alive(keep_alive);
      refused->response.set(http::field::server, "krest-proxy");
      socket.expires_after(milliseconds(config.write_timeout_ms));
      auto [wec, wn] = co_await http::async_write(stream, refused->response, kTuple);
      env.metrics.record_request(refused->route, refused->response.result_int(), 0);
      if (wec || !keep_alive) co_return;
      continue;
    }
    parser.body_limit(body_limit.bytes);
    std::optional<BodyTransfer> transfer;
    // Held until this request's answer is written: its body, and what is parsed from it, are in
    // memory that long.
    BodyBudget::Hold body_memory(env.bodies);
    // A body sent compressed is decoded only for a caller the route would take, whatever its size:
    // a few kilobytes may decode to megabytes.
    const bool coded = has_content_coding(parser.get());
    if (!parser.is_done() || coded) {
      // A large body (or one of unknown size) that would be refused anyway (no token, unknown path)
      // is not read, and a compressed one not decoded: the refusal goes out at once and the
      // connection closes, the unread body still on it. A small plain body is read as usual, so
      // its refusal keeps the connection open.
      const bool large = !parser.is_done() && (!declared || *declared > kScreenBodiesAbove);
      // (Not a conditional expression around co_await: GCC 12 destroys its temporary too early.)
      std::optional<Response> refusal;
      if (large || coded) refusal = co_await screen_request(env.routes, parser.get(), peer);
      if (refusal) {
        refusal->keep_alive(false);
        refusal->set(http::field::server, "krest-proxy");
        socket.expires_after(milliseconds(config.write_timeout_ms));
        co_await http::async_write(stream, *refusal, kTuple);
        co_return;
      }
    }
    if (!parser.is_done()) {
      // A body of unknown size (chunked) is counted at the most it may grow to.
      if (!body_memory.reserve(BodyBudget::kCopiesPerBody * (declared ? *declared : body_limit.bytes))) {
        co_await refuse_for_memory(stream, env);
        co_return;
      }
      if (expects_continue(parser.get())) {
        http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
        socket.expires_after(milliseconds(config.write_timeout_ms));
        auto [cec, cn] = co_await http::async_write(stream, cont, kTuple);
        if (cec) co_return;
      }
      socket.expires_after(milliseconds(config.body_timeout_ms));
      // The time the body took to come is the time this server waited for its bytes: reads begun
      // with too little of it queued for the read to finish at once. Not the time between reads,
      // nor reads that found a TLS record's worth (or the rest of the body) already there: those
      // are this server busy elsewhere (another request, its disk), and a client on the same
      // machine must not take them for a slow link and compress for nothing.
      std::chrono::steady_clock::duration waited{};
      boost::system::error_code bec;
      while (!parser.is_done()) {
        const std::uint64_t in_hand = parser.get().body().size() + buffer.size();
        const std::uint64_t rest = declared && *declared > in_hand ? *declared - in_hand : kTlsRecordBytes;
        const bool ready = queued_bytes(socket.socket()) >= std::min(rest, kTlsRecordBytes);
        const auto began = std::chrono::steady_clock::now();
        auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
        if (!ready) waited += std::chrono::steady_clock::now() - began;
        if (ec) {
          bec = ec;
          break;
        }
      }
      transfer = BodyTransfer{waited, parser.get().body().size()};
      if (bec == http::error::body_limit) {
        co_await reply_and_close(stream, env, 413, "request body is larger than " + body_limit.described);
        co_return;
      }
      if (bec) co_return;  // timeout or disconnect in the middle of a body: nothing to answer
    }

    Request req = parser.release();
    // The handler may wait for the disk; the connection's deadline must not cut that short.
    socket.expires_never();
    std::optional<Response> undecodable;
    if (coded) {
      // Room for what it decodes to is taken first: as much as the route allows, or what is left.
      body_memory.reserve_up_to(BodyBudget::kCopiesPerBody * body_limit.bytes, 0);
      const std::uint64_t room = std::min(body_limit.bytes, body_memory.held() / BodyBudget::kCopiesPerBody);
      bool past_limit = false;
      undecodable = decode_body(req, room, body_limit.described, past_limit);
      if (past_limit && room < body_limit.bytes) {
        co_await refuse_for_memory(stream, env);
        co_return;
      }
      body_memory.keep_only(BodyBudget::kCopiesPerBody * req.body().size());
    }
    Response res;
    if (undecodable)
      res = std::move(*undecodable);
    else
      res = co_await handle_request(env.routes, req, peer);
    finish_response(req, res, env.codings, transfer);
    // The answer is in memory until written: counted, whatever the bound (it is built already).
    body_memory.add(res.body().size());
    const bool keep_alive = req.keep_alive() && !env.stopping.load();
    res.keep_alive(keep_alive);
    res.set(http::field::server, "krest-proxy");
    socket.expires_after(milliseconds(config.write_timeout_ms));
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (wec || !keep_alive) co_return;
  }
}

// Counts the connection for /metrics for as long as the session lives.
struct ConnectionGauge {
  ProxyMetrics& m;
  explicit ConnectionGauge(ProxyMetrics& metrics) : m(metrics) { m.connection_opened(); }
  ~ConnectionGauge() { m.connection_closed(); }
};

}  // namespace

asio::awaitable<void> serve_tls(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                SessionEnv& env, Worker& worker) {
  ConnectionGauge gauge(env.metrics);
  // asio::ssl::stream directly: its writes already gather a small header and the start of the body
  // into one TLS record (up to 8 KiB), so Beast's coalescing ssl_stream wrapper would only add a
  // copy per response (measured: less CPU per consume without it).
  // `tls` is held for as long as the connection lives: a reload (SIGHUP) replaces the server's
  // context for new connections only.
  asio::ssl::stream<beast::tcp_stream> stream(std::move(socket), *tls);
  SessionControl ctl;
  ctl.cancel = [&stream] { beast::get_lowest_layer(stream).cancel(); };
  auto registration = worker.add(&ctl);

  beast::get_lowest_layer(stream).expires_after(milliseconds(env.config.handshake_timeout_ms));
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  if (ec) co_return;
  co_await serve_requests(stream, env, ctl);
  // Send close_notify so clients can tell a clean end from a truncation; do not wait long for theirs.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(kTuple);
}

asio::awaitable<void> serve_plain(asio::ip::tcp::socket socket, SessionEnv& env, Worker& worker) {
  ConnectionGauge gauge(env.metrics);
  beast::tcp_stream stream(std::move(socket));
  SessionControl ctl;
  ctl.cancel = [&stream] { stream.cancel(); };
  auto registration = worker.add(&ctl);
  co_await serve_requests(stream, env, ctl);
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace krest::proxy
