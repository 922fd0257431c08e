#include "support/https_client.hpp"

#include <sys/socket.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>
#include <stdexcept>

namespace krest::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct HttpsClient::Impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::optional<ssl::stream<tcp::socket>> tls;
  std::optional<tcp::socket> plain;
  beast::flat_buffer buffer;
  std::string authorization;

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  template <class F>
  auto with_stream(F&& f) {
    if (tls) return f(*tls);
    return f(*plain);
  }
};

HttpsClient::HttpsClient(unsigned short port, const std::string& ca_file, int read_timeout_ms)
    : impl_(std::make_unique<Impl>()) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  if (ca_file.empty()) {
    impl_->plain.emplace(impl_->ioc);
    impl_->plain->connect(ep);
  } else {
    impl_->ctx.load_verify_file(ca_file);
    impl_->ctx.set_verify_mode(ssl::verify_peer);
    impl_->tls.emplace(impl_->ioc, impl_->ctx);
    impl_->tls->set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_set_tlsext_host_name(impl_->tls->native_handle(), "localhost");
    impl_->tls->next_layer().connect(ep);
  }
  timeval tv{read_timeout_ms / 1000, (read_timeout_ms % 1000) * 1000};
  ::setsockopt(impl_->socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (impl_->tls) impl_->tls->handshake(ssl::stream_base::client);
}

HttpsClient::~HttpsClient() = default;
HttpsClient::HttpsClient(HttpsClient&&) noexcept = default;

void HttpsClient::set_authorization(std::string value) { impl_->authorization = std::move(value); }

std::string HttpsClient::authorization_line() const {
  return impl_->authorization.empty() ? std::string() : "Authorization: " + impl_->authorization + "\r\n";
}

Reply HttpsClient::request(http::verb method, const std::string& target, const std::string& body,
                           const std::string& content_type) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "localhost");
  if (!impl_->authorization.empty()) req.set(http::field::authorization, impl_->authorization);
  if (!body.empty() || method == http::verb::post || method == http::verb::put) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  impl_->with_stream([&](auto& s) { http::write(s, req); });
  return read_reply();
}

void HttpsClient::send_raw(const std::string& bytes) {
  impl_->with_stream([&](auto& s) { asio::write(s, asio::buffer(bytes)); });
}

Reply HttpsClient::read_reply() {
  Reply res;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 30);
  impl_->with_stream([&](auto& s) { http::read(s, impl_->buffer, parser); });
  return parser.release();
}

bool HttpsClient::closed_by_server() {
  boost::system::error_code ec;
  char c;
  impl_->with_stream([&](auto& s) { s.read_some(asio::buffer(&c, 1), ec); });
  return ec == asio::error::eof || ec == ssl::error::stream_truncated || ec == asio::error::connection_reset;
}

double metric(HttpsClient& c, const std::string& name) {
  const std::string text = c.get("/metrics").body();
  const std::string line_start = "\n" + name + " ";
  const auto at = text.find(line_start);
  if (at == std::string::npos) throw std::runtime_error("/metrics has no " + name);
  return std::stod(text.substr(at + line_start.size()));
}

}  // namespace krest::test
