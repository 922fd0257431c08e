#include "api/produce_response.hpp"
#include "api/sax_handler.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
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

// krest-proxy's own answer, byte for byte as write_produce_response() writes it, read without a
// JSON parser: the producer reads one per request. Anything else falls back to the SAX reader.
bool parse_exact(std::string_view body, std::size_t records, std::vector<RecordPosition>& out) {
  constexpr std::string_view kBegin = "{\"offsets\":[", kPartition = "{\"partition\":", kOffset = ",\"offset\":";
  if (!body.starts_with(kBegin)) return false;
  const char* p = body.data() + kBegin.size();
  const char* const end = body.data() + body.size();
  auto expect = [&](std::string_view s) {
    if (static_cast<std::size_t>(end - p) < s.size() || std::string_view(p, s.size()) != s) return false;
    p += s.size();
    return true;
  };
  for (std::size_t i = 0; i < records; ++i) {
    if (i && !expect(",")) return false;
    RecordPosition pos;
    if (!expect(kPartition)) return false;
    auto r = std::from_chars(p, end, pos.partition);
    if (r.ec != std::errc{} || pos.partition < 0) return false;
    p = r.ptr;
    if (!expect(kOffset)) return false;
    r = std::from_chars(p, end, pos.offset);
    if (r.ec != std::errc{} || pos.offset < 0) return false;
    p = r.ptr;
    if (!expect("}")) return false;
    out.push_back(pos);
  }
  return expect("]}") && p == end;
}

}  // namespace

bool parse_produce_response(std::string_view body, std::size_t records, std::vector<RecordPosition>& out) {
  out.clear();
  out.reserve(records);
  if (parse_exact(body, records, out)) return true;
  out.clear();
  json::basic_parser<PositionsHandler> parser(json::parse_options{}, out);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  return !ec && used == body.size() && parser.handler().found && out.size() == records;
}

}  // namespace krest::api
