#pragma once
// One HTTP/1.1 keep-alive connection to one server, over TLS or plain TCP. It connects on first
// use and again after any failure or a server-side close, so a request never goes out on a
// connection known to be broken. Every wait has a deadline. Not thread-safe: one coroutine at a
// time (the pool gives each connection to one request at a time).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/body_pool.hpp"
#include "net/base_url.hpp"
#include "net/host_addresses.hpp"

namespace krest::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using ResponseHeader = boost::beast::http::response_header<>;

struct ConnectionOptions {
  std::chrono::milliseconds connect_timeout{10000};  // name lookup + TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{30000};  // write the request and read the whole response
  std::uint64_t max_response_bytes = 64ULL << 20;
  // Which of the host's addresses to try first (modulo their count; net/address_order.hpp): a pool
  // gives its connections to an endpoint consecutive numbers, so they spread over its addresses.
  std::size_t first_address = 0;
};

struct Exchange {
  boost::system::error_code ec;  // transport failure; an HTTP error status is not one
  Response response;
  // Some of the request left this host before the failure: the server may have acted on it,
  // so resending it could do it twice.
  bool request_sent = false;
  bool connected = false;  // this exchange had to open the connection first
  const net::BaseUrl* server = nullptr;  // where it went (the connection's, valid while its pool is)
  // From the start of the exchange (its connect included) to the end of the response.
  std::chrono::steady_clock::duration elapsed{};
};

// How long a response's Retry-After (delta-seconds) asks to wait; zero when it has none.
std::chrono::milliseconds retry_after(const Response& response);

// The last TLS session each server gave, so that the next connection to it resumes the session
// instead of paying for a full handshake. Shared by the connections to one endpoint, kept per
// address (`peer`, as "address:port"): a name may resolve to several proxies, and one proxy's
// session is of no use to another (offered there, it would cost a full handshake, and the
// session that handshake gave would replace the first proxy's).
class TlsSessionCache {
 public:
  TlsSessionCache() = default;
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;
  void store(const std::string& peer, void* ssl);  // takes the session of a live SSL*
  void offer(const std::string& peer, void* ssl) const;  // offers the peer's session, if any, to an SSL* about to connect
  void clear(const std::string& peer);
  std::size_t size() const { return sessions_.size(); }

 private:
  // SSL_SESSION* by peer: as many as the name has addresses (a few), so a vector.
  std::vector<std::pair<std::string, void*>> sessions_;
};

// Called once the status line and headers have arrived, before the body is read.
using HeaderCallback = std::function<void(const ResponseHeader&)>;

class HttpConnection {
 public:
  // `tls` must outlive the connection; it is unused for an http:// server. `sessions`, `bodies`
  // (optional: response bodies are then taken from it) and `addresses` (optional: the server's
  // addresses, shared with other connections to it; else the connection keeps its own) must
  // outlive it too.
  HttpConnection(boost::asio::any_io_executor ex, net::BaseUrl server, boost::asio::ssl::context& tls,
                 ConnectionOptions options = {}, TlsSessionCache* sessions = nullptr, BodyPool* bodies = nullptr,
                 net::HostAddresses* addresses = nullptr);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `req` (its Host header is filled in when absent) and reads the response.
  boost::asio::awaitable<Exchange> exchange(Request& req, const HeaderCallback& on_header = {});
  // Closes the connection; an exchange in progress on it fails with operation_aborted.
  // Connects now unless open already (for a pool that opens its connections eagerly).
  boost::asio::awaitable<boost::system::error_code> open();
  void close();
  bool is_open() const;
  // Closes the connection when, while idle, the server has closed it or sent something unasked
  // (a TLS close_notify, a FIN): the next exchange then starts on a fresh connection instead of
  // finding out by failing. Cheap: one poll(2) with no wait.
  void drop_if_closed_by_peer();
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }
  const net::BaseUrl& server() const { return server_; }
  std::uint64_t connects() const { return connects_; }
  std::uint64_t resumed() const { return resumed_; }  // connections that resumed a TLS session
  // When the connect under way (resolve, TCP and TLS handshakes) began; empty when none is.
  std::optional<std::chrono::steady_clock::time_point> connecting_since() const { return connecting_since_; }
  // The quickest successful connect so far, from the name lookup's end (the TCP and TLS
  // handshakes: two round trips); duration::max() before the first.
  std::chrono::steady_clock::duration fastest_connect() const { return fastest_connect_; }
  // Called after each connect that succeeded, before the request it was opened for goes out.
  void on_connected(std::function<void()> f) { on_connected_ = std::move(f); }

  struct Streams;

 private:
  boost::asio::awaitable<boost::system::error_code> connect();
  boost::asio::awaitable<boost::system::error_code> connect_steps();
  boost::asio::awaitable<boost::system::error_code> read_response(Streams& s, Exchange& out,
                                                                  const HeaderCallback& on_header);

  boost::asio::any_io_executor ex_;
  net::BaseUrl server_;
  boost::asio::ssl::context& tls_;
  ConnectionOptions options_;
  TlsSessionCache* sessions_;
  BodyPool* bodies_;
  std::unique_ptr<net::HostAddresses> own_addresses_;  // when none was given
  net::HostAddresses* addresses_;
  std::shared_ptr<Streams> streams_;
  std::uint64_t connects_ = 0;
  std::uint64_t resumed_ = 0;
  std::chrono::steady_clock::time_point last_used_{};
  std::optional<std::chrono::steady_clock::time_point> connecting_since_;
  std::chrono::steady_clock::duration fastest_connect_ = std::chrono::steady_clock::duration::max();
  std::function<void()> on_connected_;
};

}  // namespace krest::http
