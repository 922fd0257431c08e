#include "api/error_body.hpp"

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

}  // namespace krest::api
