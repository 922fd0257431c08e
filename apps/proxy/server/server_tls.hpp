#pragma once
// The TLS context new connections are served with, replaceable while the server runs: SIGHUP reads
// the certificate and key files again (a renewed certificate needs no restart). Each connection
// holds the context it began with, so open connections keep working through a swap; a pair that
// cannot be used is refused with the old one kept.
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "server/tls_setup.hpp"

namespace krest::proxy {

class ServerTls {
 public:
  // Throws std::runtime_error naming the file that could not be used.
  explicit ServerTls(TlsFiles files);

  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Reads the files again. Empty on success; otherwise why, and the context in use stays.
  std::string reload();
  // The certificate's notAfter, seconds since the epoch (0 if it could not be read).
  std::int64_t expires_at() const;
  const TlsFiles& files() const { return files_; }

 private:
  TlsFiles files_;
  mutable std::mutex mutex_;  // guards context_ and expires_at_
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::int64_t expires_at_ = 0;
};

}  // namespace krest::proxy
