#include "server/server_tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>
#include <stdexcept>

namespace krest::proxy {

namespace {

std::int64_t not_after(boost::asio::ssl::context& ctx) {
  const X509* cert = SSL_CTX_get0_certificate(ctx.native_handle());
  if (cert == nullptr) return 0;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

ServerTls::ServerTls(TlsFiles files) : files_(std::move(files)) {
  context_ = std::make_shared<boost::asio::ssl::context>(make_server_tls(files_));
  expires_at_ = not_after(*context_);
}

std::shared_ptr<boost::asio::ssl::context> ServerTls::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

std::string ServerTls::reload() {
  std::shared_ptr<boost::asio::ssl::context> fresh;
  try {
    fresh = std::make_shared<boost::asio::ssl::context>(make_server_tls(files_));
  } catch (const std::exception& e) {
    return e.what();
  }
  const std::int64_t expires = not_after(*fresh);
  std::lock_guard lock(mutex_);
  context_ = std::move(fresh);
  expires_at_ = expires;
  return {};
}

std::int64_t ServerTls::expires_at() const {
  std::lock_guard lock(mutex_);
  return expires_at_;
}

}  // namespace krest::proxy
