#include "http/form.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <stdexcept>

namespace krest::http {
namespace urls = boost::urls;

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  urls::encoding_opts opts;
  opts.space_as_plus = true;
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += urls::encode(name, urls::unreserved_chars, opts);
    out += '=';
    out += urls::encode(value, urls::unreserved_chars, opts);
  }
  return out;
}

std::map<std::string, std::string> form_decode(std::string_view bytes, std::size_t max_fields) {
  // Boost.URL 1.81's parse_query reads its argument up to a NUL (strlen), past the end of a view
  // that has none (found by fuzz/targets/token_response.cpp): it gets a terminated copy.
  const std::string body(bytes);
  auto parsed = urls::parse_query(body);
  if (!parsed) throw std::invalid_argument("malformed form body: " + parsed.error().message());
  urls::encoding_opts opts;
  opts.space_as_plus = true;
  std::map<std::string, std::string> out;
  const urls::params_view params(body, opts);
  if (params.size() > max_fields)
    throw std::invalid_argument("form body has " + std::to_string(params.size()) + " parameters, more than " +
                                std::to_string(max_fields));
  for (const auto& p : params) {
    if (p.key.empty()) continue;  // "a=1&&b=2"
    if (!out.emplace(p.key, p.value).second)
      throw std::invalid_argument("form parameter '" + p.key + "' appears more than once");
  }
  return out;
}

}  // namespace krest::http
