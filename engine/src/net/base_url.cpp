#include "net/base_url.hpp"

#include <boost/url/parse.hpp>

#include <stdexcept>

namespace krest::net {

std::string BaseUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  if (port != (tls ? "443" : "80")) h += ":" + port;
  return h;
}

std::string BaseUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + port + path;
}

BaseUrl parse_base_url(std::string_view text) {
  auto fail = [&](const std::string& why) { throw std::invalid_argument("URL '" + std::string(text) + "': " + why); };
  if (text.find("://") == std::string_view::npos)
    fail("no scheme: write https://" + std::string(text) + " (or http:// for a proxy without TLS)");
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) fail("not an absolute URL (" + parsed.error().message() + ")");
  const auto& u = *parsed;
  BaseUrl out;
  if (u.scheme() == "https")
    out.tls = true;
  else if (u.scheme() == "http")
    out.tls = false;
  else
    fail("the scheme must be https or http");
  if (u.has_userinfo()) fail("credentials in the URL are not supported");
  if (u.has_query()) fail("a base URL takes no query");
  out.host = u.host_address();
  if (out.host.empty()) fail("no host");
  out.port = u.has_port() ? std::string(u.port()) : (out.tls ? "443" : "80");
  out.path = u.encoded_path();
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  return out;
}

std::vector<BaseUrl> parse_endpoints(std::string_view list) {
  std::vector<BaseUrl> out;
  std::size_t at = 0;
  for (;;) {
    const auto comma = list.find(',', at);
    auto one = list.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.empty()) throw std::invalid_argument("'" + std::string(list) + "': an empty URL in the list");
    out.push_back(parse_base_url(one));
    if (out.back().path != out.front().path)
      throw std::invalid_argument("'" + std::string(list) + "': every endpoint must have the same path ('" +
                                  out.front().path + "' and '" + out.back().path + "')");
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return out;
}

}  // namespace krest::net
