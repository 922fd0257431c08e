// Raw bytes to the server: Beast's request parser with the proxy's limits, then routing.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "fuzz_input.hpp"
#include "proxy_error.hpp"
#include "routes/router.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  boost::beast::error_code ec;
  std::size_t used = 0;
  // In pieces, as a socket would deliver them.
  while (used < size && !parser.is_done()) {
    const std::size_t piece = std::min<std::size_t>(size - used, 1 + (size % 97));
    auto n = parser.put(boost::asio::buffer(data + used, piece), ec);
    if (ec == http::error::need_more) {
      if (n == 0 && piece == size - used) break;
      ec = {};
    }
    if (ec) return 0;
    used += n;
    if (n == 0) {
      // Beast wants the rest of a line in one piece: hand it all.
      n = parser.put(boost::asio::buffer(data + used, size - used), ec);
      if (ec && ec != http::error::need_more) return 0;
      if (n == 0) break;
      used += n;
    }
  }
  if (parser.is_header_done()) {
    try {
      auto m = krest::proxy::match_route(parser.get().target());
      (void)krest::proxy::method_allowed(m.route, parser.get().method());
    } catch (const krest::proxy::ProxyError&) {
    }
  }
  return 0;
}
