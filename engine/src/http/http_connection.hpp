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
#include <memory>

#include "net/base_url.hpp"

namespace krest::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct ConnectionOptions {
  std::chrono::milliseconds connect_timeout{10000};  // resolve + TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{30000};  // write the request and read the whole response
  std::uint64_t max_response_bytes = 64ULL << 20;
};

struct Exchange {
  boost::system::error_code ec;  // transport failure; an HTTP error status is not one
  Response response;
  // Some of the request left this host before the failure: the server may have acted on it,
  // so resending it could do it twice.
  bool request_sent = false;
};

class HttpConnection {
 public:
  // `tls` must outlive the connection; it is unused for an http:// server.
  HttpConnection(boost::asio::any_io_executor ex, net::BaseUrl server, boost::asio::ssl::context& tls,
                 ConnectionOptions options = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `req` (its Host header is filled in when absent) and reads the response.
  boost::asio::awaitable<Exchange> exchange(Request& req);
  void close();
  bool is_open() const;
  const net::BaseUrl& server() const { return server_; }
  std::uint64_t connects() const { return connects_; }

 private:
  struct Streams;
  boost::asio::awaitable<boost::system::error_code> connect();

  boost::asio::any_io_executor ex_;
  net::BaseUrl server_;
  boost::asio::ssl::context& tls_;
  ConnectionOptions options_;
  std::unique_ptr<Streams> streams_;
  std::uint64_t connects_ = 0;
};

}  // namespace krest::http
