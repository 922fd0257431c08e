#pragma once
#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <string>

namespace krest::proxy {

struct TlsFiles {
  std::string cert;
  std::string key;
  bool generated = false;
};

// Returns <dir>/cert.pem and <dir>/key.pem, creating a self-signed pair (ECDSA P-256, valid for
// localhost, 127.0.0.1 and ::1, 825 days) when they do not exist yet.
TlsFiles ensure_self_signed(const std::filesystem::path& dir);

// A server context accepting TLS 1.2 and 1.3 only, with OpenSSL's default (modern) cipher lists.
// Throws std::runtime_error naming the file that could not be used.
boost::asio::ssl::context make_server_tls(const TlsFiles& files);

}  // namespace krest::proxy
