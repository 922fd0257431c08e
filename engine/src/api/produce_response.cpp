#include "api/produce_response.hpp"
#include "api/sax_handler.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstring>
#include <limits>

#include "api/json_text.hpp"

namespace krest::api {

std::string write_produce_response(const std::vector<RecordPosition>& positions) {
  std::string out;
  out.reserve(16 + positions.size() * 36);
  out += "{\"offsets\":[";
  for (std::size_t i = 0; i < positions.size(); ++i) {
    out += i ? ",{\"partition\":" : "{\"partition\":";
    append_int(out, positions[i].partition);
    out += ",\"offset\":";
    append_int(out, positions[i].offset);
    out += '}';
  }
  out += "]}";
  return out;
}

namespace {

namespace json = boost::json;

// SAX handler: positions straight from {"offsets":[{"partition":p,"offset":o},...]}, no DOM (a
// DOM costs an allocation per entry, and a producer reads one of these per request).
class PositionsHandler : public SaxHandlerBase {
 public:
  explicit PositionsHandler(std::vector<RecordPosition>& out) : out_(out) {}
  bool found = false;

  bool on_object_begin(json::error_code& ec) {
    ++depth_;
    if (depth_ == 1) return true;
    if (depth_ == 3 && in_offsets_) {
      out_.push_back({-1, -1});
      return true;
    }
    return stop(ec);
  }
  bool on_object_end(std::size_t, json::error_code& ec) {
    --depth_;
    if (depth_ == 2 && (out_.back().partition < 0 || out_.back().offset < 0)) return stop(ec);
    return true;
  }
  bool on_array_begin(json::error_code& ec) {
    ++depth_;
    if (depth_ == 2 && key_ == "offsets") {
      in_offsets_ = found = true;
      return true;
    }
    return stop(ec);
  }
  bool on_array_end(std::size_t, json::error_code&) {
    --depth_;
    in_offsets_ = false;
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (complete_key_) key_.clear();
    complete_key_ = false;
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (complete_key_) key_.clear();
    key_.append(s.data(), s.size());
    complete_key_ = true;
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code& ec) { return stop(ec); }
  bool on_string(json::string_view, std::size_t, json::error_code& ec) { return depth_ == 1 || stop(ec); }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, json::error_code& ec) {
    if (depth_ == 1) return true;
    if (depth_ != 3 || v < 0) return stop(ec);
    if (key_ == "partition" && v <= INT32_MAX)
      out_.back().partition = static_cast<std::int32_t>(v);
    else if (key_ == "offset")
      out_.back().offset = v;
    else
      return stop(ec);
    return true;
  }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code& ec) { return stop(ec); }
  bool on_double(double, json::string_view, json::error_code& ec) { return depth_ == 1 || stop(ec); }
  bool on_bool(bool, json::error_code& ec) { return depth_ == 1 || stop(ec); }
  bool on_null(json::error_code& ec) { return depth_ == 1 || stop(ec); }

 private:
  // Not krest's shape: the caller treats the 200 as success without positions.
  static bool stop(json::error_code& ec) {
    ec = json::error::extra_data;
    return false;
  }
  std::vector<RecordPosition>& out_;
  std::string key_;
  bool complete_key_ = true;
  int depth_ = 0;
  bool in_offsets_ = false;
};

// A non-negative JSON integer of at most 18 digits (no overflow possible) at p; advances p. False
// for anything else, or a leading zero before more digits.
bool read_count(const char*& p, const char* end, std::int64_t& out) {
  const char* const start = p;
  std::int64_t v = 0;
  while (p < end && static_cast<unsigned>(*p - '0') < 10 && p - start < 18) v = v * 10 + (*p++ - '0');
  if (p == start || (*start == '0' && p - start > 1) || (p < end && static_cast<unsigned>(*p - '0') < 10))
    return false;
  out = v;
  return true;
}

// Whether `literal` comes next at p (then p moves past it). The literal's length is known where
// this is inlined, so the comparison is a few word compares, not a call to memcmp.
template <std::size_t N>
bool expect(const char*& p, const char* end, const char (&literal)[N]) {
  constexpr std::size_t n = N - 1;
  if (static_cast<std::size_t>(end - p) < n || std::memcmp(p, literal, n) != 0) return false;
  p += n;
  return true;
}

// krest-proxy's own answer, byte for byte as write_produce_response() writes it, read without a
// JSON parser: the producer reads one per request. Anything else falls back to the SAX reader.
bool parse_exact(std::string_view body, std::size_t records, std::vector<RecordPosition>& out) {
  const char* p = body.data();
  const char* const end = p + body.size();
  if (!expect(p, end, "{\"offsets\":[")) return false;
  out.resize(records);
  for (std::size_t i = 0; i < records; ++i) {
    std::int64_t partition = 0;
    if (i && !expect(p, end, ",")) return false;
    if (!expect(p, end, "{\"partition\":") || !read_count(p, end, partition) || partition > INT32_MAX) return false;
    if (!expect(p, end, ",\"offset\":") || !read_count(p, end, out[i].offset) || !expect(p, end, "}")) return false;
    out[i].partition = static_cast<std::int32_t>(partition);
  }
  return expect(p, end, "]}") && p == end;
}

}  // namespace

bool parse_produce_response(std::string_view body, std::size_t records, std::vector<RecordPosition>& out) {
  if (parse_exact(body, records, out)) return true;
  return parse_produce_response_generic(body, records, out);
}

bool parse_produce_response_generic(std::string_view body, std::size_t records, std::vector<RecordPosition>& out) {
  out.clear();
  out.reserve(records);
  json::basic_parser<PositionsHandler> parser(json::parse_options{}, out);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  return !ec && used == body.size() && parser.handler().found && out.size() == records;
}

}  // namespace krest::api
