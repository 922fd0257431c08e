#include "cli/plain_json.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>

namespace json = boost::json;

namespace krest::cli {
namespace {

void write_plain(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::value(key));
        out += ':';
        write_plain(out, value);
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& value : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_plain(out, value);
      }
      out += ']';
      break;
    }
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      char text[400];  // a double's longest fixed form (1e308) fits
      const auto end = std::to_chars(text, text + sizeof text, d, std::chars_format::fixed).ptr;
      out.append(text, end);
      break;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string plain_json(const json::object& doc) {
  std::string out;
  write_plain(out, doc);
  return out + "\n";
}

}  // namespace krest::cli
