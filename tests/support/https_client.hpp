#pragma once
// A plain synchronous HTTP/1.1 client over TLS (verifying the proxy's certificate against its CA
// file) or TCP, one keep-alive connection, for tests. Reads give up after a few seconds so a test
// fails instead of hanging.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <memory>
#include <string>

namespace krest::test {

using Reply = boost::beast::http::response<boost::beast::http::string_body>;

class HttpsClient {
 public:
  // `ca_file` empty: plain HTTP.
  HttpsClient(unsigned short port, const std::string& ca_file, int read_timeout_ms = 10000);
  ~HttpsClient();
  HttpsClient(HttpsClient&&) noexcept;

  // Sent as the Authorization header of every request() from now on; empty: none.
  void set_authorization(std::string value);
  // The header line for raw requests: "Authorization: ...\r\n", or empty.
  std::string authorization_line() const;

  Reply request(boost::beast::http::verb method, const std::string& target, const std::string& body = {},
                const std::string& content_type = "application/json");
  Reply get(const std::string& target) { return request(boost::beast::http::verb::get, target); }
  Reply post(const std::string& target, const std::string& body) {
    return request(boost::beast::http::verb::post, target, body);
  }
  Reply put(const std::string& target, const std::string& body = {}) {
    return request(boost::beast::http::verb::put, target, body);
  }
  Reply del(const std::string& target) { return request(boost::beast::http::verb::delete_, target); }

  // Raw bytes on the connection, and reading one response, for malformed-input tests.
  void send_raw(const std::string& bytes);
  Reply read_reply();
  // True when the server closed the connection (a read returns end of stream) within the timeout.
  bool closed_by_server();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A sample's value in the server's /metrics, read on `c`; throws when it has no such sample.
double metric(HttpsClient& c, const std::string& name);

}  // namespace krest::test
