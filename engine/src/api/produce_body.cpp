#include "api/produce_body.hpp"
#include "api/sax_handler.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <cstring>
#include <limits>

#include "api/json_text.hpp"

namespace krest::api {
namespace {

namespace json = boost::json;

// SAX handler for the produce body. Depth 1 is the body object, 2 the records array, 3 a record,
// and deeper levels belong to a key or value being captured as compact text.
class ProduceHandler : public SaxHandlerBase {
 public:
  ProduceHandler(ProduceBody& out, std::size_t max_records) : out_(out), max_records_(max_records) {}

  std::optional<ProduceParseError> error;
  bool saw_records = false;


  bool on_object_begin(json::error_code& ec) {
    ++depth_;
    if (depth_ == 1) return true;
    if (depth_ == 2) return fail(ec, "records must be an array");
    if (depth_ == 3) {
      if (out_.records_.size() == max_records_)
        return fail(ec, "too many records in one request: the limit is " + std::to_string(max_records_),
                    ProduceParseError::Kind::too_many_records);
      out_.records_.emplace_back();
      seen_ = 0;
      return true;
    }
    if (depth_ == 4 && !begin_capture(ec)) return false;
    before_value();
    out_.arena_ += '{';
    need_comma_ = false;
    return true;
  }

  bool on_object_end(std::size_t, json::error_code& ec) {
    --depth_;
    if (depth_ == 0) {
      if (!saw_records) return fail(ec, "missing field 'records'");
      return true;
    }
    if (depth_ == 2) {
      if (!(seen_ & kSeenValue)) return fail(ec, path() + " is missing the required field 'value'");
      return true;
    }
    out_.arena_ += '}';
    need_comma_ = true;
    if (depth_ == 3) end_capture();
    return true;
  }

  bool on_array_begin(json::error_code& ec) {
    ++depth_;
    if (depth_ == 1) return fail(ec, "the body must be a JSON object {\"records\": [...]}");
    if (depth_ == 2) {
      if (field_ != Field::records) return fail(ec, "unexpected array");
      saw_records = true;
      return true;
    }
    if (depth_ == 3) return fail(ec, path_of_next() + " must be an object");
    if (depth_ == 4 && !begin_capture(ec)) return false;
    before_value();
    out_.arena_ += '[';
    need_comma_ = false;
    return true;
  }

  bool on_array_end(std::size_t, json::error_code&) {
    --depth_;
    if (depth_ <= 1) return true;
    out_.arena_ += ']';
    need_comma_ = true;
    if (depth_ == 3) end_capture();
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (depth_ <= 3) {
      name_.append(s.data(), s.size());
    } else {
      if (!in_text_) {
        before_value();
        begin_text();
      }
      append_json_escaped(out_.arena_, {s.data(), s.size()});
    }
    return true;
  }

  bool on_key(json::string_view s, std::size_t n, json::error_code& ec) {
    on_key_part(s, n, ec);
    if (depth_ <= 3) return take_field_name(ec);
    end_text();
    out_.arena_ += ':';
    need_comma_ = false;
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (depth_ == 3) {
      if (!in_text_ && !begin_scalar(ec, "a string")) return false;
      if (!in_text_) {
        in_text_ = true;
        start_ = out_.arena_.size();
      }
      out_.arena_.append(s.data(), s.size());
      return true;
    }
    if (depth_ < 3) return fail(ec, unexpected("a string"));
    if (!in_text_) {
      before_value();
      begin_text();
    }
    append_json_escaped(out_.arena_, {s.data(), s.size()});
    return true;
  }

  bool on_string(json::string_view s, std::size_t n, json::error_code& ec) {
    if (!on_string_part(s, n, ec)) return false;
    if (depth_ == 3) {
      in_text_ = false;
      store_field(start_, out_.arena_.size() - start_);
      return true;
    }
    end_text();
    need_comma_ = true;
    return true;
  }

  bool on_number_part(json::string_view s, json::error_code& ec) {
    if (depth_ == 3 && field_ == Field::partition) return true;  // the value arrives in on_int64
    if (depth_ < 3) return fail(ec, unexpected("a number"));
    if (!in_number_) {
      if (depth_ == 3 && !begin_scalar(ec, "a number")) return false;
      if (depth_ > 3) before_value();
      in_number_ = true;
      start_ = out_.arena_.size();
    }
    out_.arena_.append(s.data(), s.size());
    return true;
  }

  bool on_int64(std::int64_t v, json::string_view s, json::error_code& ec) {
    if (depth_ == 3 && field_ == Field::partition) {
      if (!mark_seen(ec)) return false;
      if (v < 0 || v > std::numeric_limits<std::int32_t>::max())
        return fail(ec, path() + ".partition must be an integer from 0 to 2147483647");
      out_.records_.back().partition = static_cast<std::int32_t>(v);
      return true;
    }
    return end_number(s, ec);
  }
  bool on_uint64(std::uint64_t, json::string_view s, json::error_code& ec) {
    if (depth_ == 3 && field_ == Field::partition)
      return fail(ec, path() + ".partition must be an integer from 0 to 2147483647");
    return end_number(s, ec);
  }
  bool on_double(double, json::string_view s, json::error_code& ec) {
    if (depth_ == 3 && field_ == Field::partition) return fail(ec, path() + ".partition must be an integer");
    return end_number(s, ec);
  }

  bool on_bool(bool b, json::error_code& ec) { return literal(b ? "true" : "false", ec); }

  bool on_null(json::error_code& ec) {
    // A null key means "no key" and a null partition means "not given", as JSON clients write them;
    // a null value is a value whose stored form is the text null.
    if (depth_ == 3 && (field_ == Field::key || field_ == Field::partition)) return mark_seen(ec);
    return literal("null", ec);
  }


 private:
  enum class Field { none, records, key, value, partition };
  static constexpr unsigned kSeenKey = 1, kSeenValue = 2, kSeenPartition = 4;

  bool fail(json::error_code& ec, std::string message,
            ProduceParseError::Kind kind = ProduceParseError::Kind::malformed) {
    error = ProduceParseError{kind, std::move(message)};
    ec = json::error::syntax;  // any error stops the parser; `error` says what was wrong
    return false;
  }

  std::string path() const { return "records[" + std::to_string(out_.records_.size() - 1) + "]"; }
  std::string path_of_next() const { return "records[" + std::to_string(out_.records_.size()) + "]"; }

  std::string unexpected(const char* what) const {
    if (depth_ == 0) return "the body must be a JSON object {\"records\": [...]}";
    if (depth_ == 1) return "records must be an array, not " + std::string(what);
    return path_of_next() + " must be an object, not " + what;
  }

  bool take_field_name(json::error_code& ec) {
    std::string name;
    name.swap(name_);
    if (depth_ == 1) {
      if (name != "records") return fail(ec, "unknown field '" + name + "' (the body holds only 'records')");
      if (saw_records) return fail(ec, "duplicate field 'records'");
      field_ = Field::records;
      return true;
    }
    if (name == "key")
      field_ = Field::key;
    else if (name == "value")
      field_ = Field::value;
    else if (name == "partition")
      field_ = Field::partition;
    else
      return fail(ec, "unknown field '" + path() + "." + name + "' (a record holds key, value and partition)");
    return true;
  }

  unsigned seen_bit() const {
    return field_ == Field::key ? kSeenKey : field_ == Field::value ? kSeenValue : kSeenPartition;
  }

  bool mark_seen(json::error_code& ec) {
    if (seen_ & seen_bit()) return fail(ec, "duplicate field '" + path() + "." + field_name() + "'");
    seen_ |= seen_bit();
    return true;
  }

  const char* field_name() const {
    return field_ == Field::key ? "key" : field_ == Field::value ? "value" : "partition";
  }

  // A scalar key or value directly inside a record.
  bool begin_scalar(json::error_code& ec, const char* what) {
    if (depth_ == 3 && field_ == Field::partition)
      return fail(ec, path() + ".partition must be an integer, not " + what);
    return mark_seen(ec);
  }

  // An object or array opening as a record's key or value.
  bool begin_capture(json::error_code& ec) {
    if (field_ == Field::partition) return fail(ec, path() + ".partition must be an integer");
    if (!mark_seen(ec)) return false;
    capture_start_ = out_.arena_.size();
    need_comma_ = false;
    return true;
  }

  void end_capture() { store_field(capture_start_, out_.arena_.size() - capture_start_); }

  void store_field(std::size_t pos, std::size_t len) {
    auto& r = out_.records_.back();
    if (field_ == Field::key) {
      r.has_key = true;
      r.key_pos = static_cast<std::uint32_t>(pos);
      r.key_len = static_cast<std::uint32_t>(len);
    } else {
      r.value_pos = static_cast<std::uint32_t>(pos);
      r.value_len = static_cast<std::uint32_t>(len);
    }
  }

  void before_value() {
    if (need_comma_) out_.arena_ += ',';
  }
  void begin_text() {
    in_text_ = true;
    out_.arena_ += '"';
  }
  void end_text() {
    in_text_ = false;
    out_.arena_ += '"';
  }
  bool end_number(json::string_view s, json::error_code& ec) {
    if (!on_number_part(s, ec)) return false;
    in_number_ = false;
    if (depth_ == 3)
      store_field(start_, out_.arena_.size() - start_);
    else
      need_comma_ = true;
    return true;
  }

  bool literal(const char* text, json::error_code& ec) {
    if (depth_ < 3) return fail(ec, unexpected(text));
    if (depth_ == 3) {
      if (!begin_scalar(ec, text)) return false;
      std::size_t pos = out_.arena_.size();
      out_.arena_ += text;
      store_field(pos, out_.arena_.size() - pos);
      return true;
    }
    before_value();
    out_.arena_ += text;
    need_comma_ = true;
    return true;
  }

  ProduceBody& out_;
  std::size_t max_records_;
  int depth_ = 0;
  Field field_ = Field::none;
  unsigned seen_ = 0;
  std::string name_;
  std::size_t start_ = 0;          // where a scalar key or value directly in a record begins
  std::size_t capture_start_ = 0;  // where an object or array key or value begins
  bool need_comma_ = false;
  bool in_text_ = false;
  bool in_number_ = false;
};

}  // namespace

std::optional<ProduceParseError> parse_produce_body(std::string_view body, std::size_t max_records, ProduceBody& out) {
  out.records_.clear();
  out.arena_.clear();
  out.arena_.reserve(body.size());
  json::basic_parser<ProduceHandler> parser(json::parse_options{}, out, max_records);
  json::error_code ec;
  std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  if (parser.handler().error) return parser.handler().error;
  if (ec) {
    if (ec == json::error::incomplete || body.empty())
      return ProduceParseError{
          ProduceParseError::Kind::malformed,
          body.empty() ? "the body is empty; expected {\"records\": [...]}" : "malformed JSON: the body ends early"};
    return ProduceParseError{ProduceParseError::Kind::malformed,
                             "malformed JSON at byte " + std::to_string(used) + ": " + ec.message()};
  }
  if (used != body.size())
    return ProduceParseError{ProduceParseError::Kind::malformed,
                             "malformed JSON: unexpected data after the body at byte " + std::to_string(used)};
  return std::nullopt;
}

namespace {

char* put(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

// The whole record in one pass over a buffer grown once, when no string needs an escape (the
// usual case): several appends, each checking capacity, cost more than the copying. False, with
// `out` as it was, when one does.
bool append_plain_record(std::string& out, std::optional<std::string_view> key, bool key_json, std::string_view value,
                         bool value_json, std::optional<std::int32_t> partition) {
  const std::size_t before = out.size();
  out.resize(before + 64 + value.size() + (key ? key->size() : 0));
  char* d = out.data() + before;
  d = put(d, "{");
  if (partition) {
    d = put(d, "\"partition\":");
    d = std::to_chars(d, d + 11, *partition).ptr;  // an int32 takes at most 11 characters
    *d++ = ',';
  }
  if (key) {
    d = put(d, "\"key\":");
    if (key_json) {
      d = put(d, *key);
    } else {
      *d++ = '"';
      d = copy_json_plain(d, *key);
      if (!d) {
        out.resize(before);
        return false;
      }
      *d++ = '"';
    }
    *d++ = ',';
  }
  d = put(d, "\"value\":");
  if (value_json) {
    d = put(d, value);
  } else {
    *d++ = '"';
    d = copy_json_plain(d, value);
    if (!d) {
      out.resize(before);
      return false;
    }
    *d++ = '"';
  }
  *d++ = '}';
  out.resize(static_cast<std::size_t>(d - out.data()));
  return true;
}

}  // namespace

void append_produce_record(std::string& out, std::optional<std::string_view> key, bool key_json,
                           std::string_view value, bool value_json, std::optional<std::int32_t> partition) {
  if (append_plain_record(out, key, key_json, value, value_json, partition)) return;
  out += '{';
  if (partition) {
    out += "\"partition\":";
    append_int(out, *partition);
    out += ',';
  }
  if (key) {
    out += "\"key\":";
    if (key_json)
      out += *key;
    else
      append_json_string(out, *key);
    out += ',';
  }
  out += "\"value\":";
  if (value_json)
    out += value;
  else
    append_json_string(out, value);
  out += '}';
}

ProduceBodyWriter::ProduceBodyWriter(std::string& out) : out_(out) { out_ += kProduceBodyBegin; }

void ProduceBodyWriter::add_string_record(std::optional<std::string_view> key, std::string_view value,
                                          std::optional<std::int32_t> partition) {
  if (count_++) out_ += ',';
  append_produce_record(out_, key, false, value, false, partition);
}

void ProduceBodyWriter::add_json_record(std::optional<std::string_view> key_json, std::string_view value_json,
                                        std::optional<std::int32_t> partition) {
  if (count_++) out_ += ',';
  append_produce_record(out_, key_json, true, value_json, true, partition);
}

void ProduceBodyWriter::finish() { out_ += kProduceBodyEnd; }

}  // namespace krest::api
