#pragma once
// A server's base URL ("https://host:port/prefix") taken apart once, so requests only append paths.
#include <string>
#include <vector>
#include <string_view>

namespace krest::net {

struct BaseUrl {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  std::string port;  // always set: 443 or 80 when the URL has none
  std::string path;  // without a trailing '/', possibly empty

  std::string host_header() const;  // host[:port] as the Host header wants it
  std::string to_string() const;
};

// Throws std::invalid_argument naming the URL and what is wrong with it (scheme other than http
// or https, no host, a query or fragment).
BaseUrl parse_base_url(std::string_view url);

// "URL[,URL...]": several proxies used as one. Each as parse_base_url(); they must share one path
// (a request's target is made before its connection is chosen). Throws std::invalid_argument.
std::vector<BaseUrl> parse_endpoints(std::string_view list);

}  // namespace krest::net
