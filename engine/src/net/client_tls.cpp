#include "net/client_tls.hpp"

#include <stdexcept>

namespace krest::net {
namespace ssl = boost::asio::ssl;

ssl::context make_client_tls(const TlsOptions& options) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (options.insecure) {
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  boost::system::error_code ec;
  if (options.ca_file.empty())
    ctx.set_default_verify_paths(ec);
  else
    ctx.load_verify_file(options.ca_file, ec);
  if (ec)
    throw std::runtime_error("TLS: cannot load CA " +
                             (options.ca_file.empty() ? std::string("store") : "file '" + options.ca_file + "'") +
                             ": " + ec.message());
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace krest::net
