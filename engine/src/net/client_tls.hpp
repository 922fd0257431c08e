#pragma once
// The TLS client context every outgoing engine connection uses: TLS 1.2 or newer, the peer's
// certificate and host name verified unless TlsOptions::insecure says otherwise.
#include <boost/asio/ssl/context.hpp>

#include "krest/tls_options.hpp"

namespace krest::net {

// Throws std::runtime_error naming the CA file when it cannot be read.
boost::asio::ssl::context make_client_tls(const TlsOptions& options);

}  // namespace krest::net
