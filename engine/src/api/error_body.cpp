#include "api/error_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/json_text.hpp"

namespace krest::api {

std::string write_error_body(int status, std::string_view message) {
  std::string out = "{\"error_code\":";
  append_int(out, status);
  out += ",\"message\":";
  append_json_string(out, message);
  out += '}';
  return out;
}

std::string read_error_message(std::string_view body) {
  boost::json::error_code ec;
  auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (!ec && doc.is_object())
    if (const auto* m = doc.get_object().if_contains("message"); m && m->is_string())
      return std::string(m->get_string());
  constexpr std::size_t kMax = 500;
  std::string text(body.substr(0, kMax));
  if (body.size() > kMax) text += "...";
  return text;
}

}  // namespace krest::api
