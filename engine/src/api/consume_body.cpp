#include "api/consume_body.hpp"
#include "api/sax_handler.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <cstring>
#include <limits>

#include "api/json_text.hpp"
#include "api/utf8.hpp"

namespace krest::api {

ConsumeBodyWriter::ConsumeBodyWriter(std::string& out, std::int32_t partition) : out_(out) {
  out_ += "{\"records\":[";
  value_end_text_ = "\",\"partition\":";
  append_int(value_end_text_, partition);
  value_end_text_ += ",\"offset\":";
}

void ConsumeBodyWriter::add_text(std::string_view s, bool plain) {
  if (plain)
    out_.append(s);
  else
    append_json_escaped(out_, s);
}

// Few, large appends per record: this runs for every record of every consume response.
void ConsumeBodyWriter::add(const ConsumedRecordView& r) {
  if (!first_) out_ += ',';
  first_ = false;
  if (r.key) {
    out_ += "{\"key\":\"";
    add_text(*r.key, r.plain_json);
    out_ += "\",\"value\":\"";
  } else {
    out_ += "{\"key\":null,\"value\":\"";
  }
  add_text(r.value, r.plain_json);
  out_ += value_end_text_;
  append_int(out_, r.offset);
  if (r.timestamp_ms != last_timestamp_ || r.log_append_time != last_log_append_time_) {
    last_timestamp_ = r.timestamp_ms;
    last_log_append_time_ = r.log_append_time;
    timestamp_text_ = ",\"timestamp\":";
    append_int(timestamp_text_, r.timestamp_ms);
    // The proxy stamps each record when it accepts it, as a Kafka producer in front of a cluster
    // does; a Kafka topic configured for LogAppendTime has the broker's time instead.
    timestamp_text_ += r.log_append_time ? ",\"timestampType\":\"LogAppendTime\"}" : ",\"timestampType\":\"CreateTime\"}";
  }
  out_ += timestamp_text_;
}

void ConsumeBodyWriter::finish() { out_ += "]}"; }

namespace {

namespace json = boost::json;

// SAX handler for consume responses: records are filled in as the parser goes, with no DOM and
// no second copy of keys and values. Accepts {"records":[...]} and a bare array; fields of a
// record other than the six known ones, and other top-level fields, are skipped.
class ConsumeHandler : public SaxHandlerBase {
 public:
  explicit ConsumeHandler(std::vector<ConsumedRecord>& out) : out_(out) {}

  std::optional<std::string> error;
  bool saw_records = false;


  bool on_object_begin(json::error_code& ec) {
    ++depth_;
    if (skip_) return skip_value_begin();
    if (depth_ == 1) return true;  // {"records": ...}
    if (in_records_ && depth_ == records_depth_ + 1) {
      record_ = &out_.emplace_back();
      seen_ = 0;
      return true;
    }
    if (record_ && field_ != Field::other) return wrong_type(ec);
    return skip_value_begin();  // an unknown field's object
  }
  bool on_object_end(std::size_t, json::error_code& ec) {
    --depth_;
    if (skip_) return skip_value_end();
    if (record_ && depth_ == records_depth_) {
      if (!(seen_ & kPartition)) return fail(where() + "partition is missing or not a number", ec);
      if (!(seen_ & kOffset)) return fail(where() + "offset is missing or not a number", ec);
      if (!(seen_ & kValue)) return fail(where() + "value is missing or not a string", ec);
      record_ = nullptr;
    }
    return true;
  }
  bool on_array_begin(json::error_code& ec) {
    ++depth_;
    if (skip_) return skip_value_begin();
    if (depth_ == 1 || (depth_ == 2 && field_ == Field::records)) {
      records_depth_ = depth_;
      in_records_ = saw_records = true;
      return true;
    }
    if (record_ && field_ != Field::other) return wrong_type(ec);
    if (in_records_ && depth_ == records_depth_ + 1) return not_an_object(ec);
    return skip_value_begin();
  }
  bool on_array_end(std::size_t, json::error_code&) {
    --depth_;
    if (skip_) return skip_value_end();
    if (depth_ + 1 == records_depth_) in_records_ = false;
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (!skip_) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (skip_) return true;
    if (key_.empty()) {
      field_ = classify(std::string_view(s.data(), s.size()));  // the usual case: a key in one piece
      return true;
    }
    key_.append(s.data(), s.size());
    field_ = classify(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (skip_ || !record_) return true;
    if (std::string* target = string_target(ec)) {
      if (!partial_) target->clear();
      partial_ = true;
      target->append(s.data(), s.size());
      return true;
    }
    return !error;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (stray_element()) return not_an_object(ec);
    if (skip_ || !record_) return true;
    if (std::string* target = string_target(ec)) {
      if (!partial_) target->clear();
      target->append(s.data(), s.size());
      partial_ = false;
      seen_ |= field_ == Field::value ? kValue : 0;
      return true;
    }
    return !error;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, json::error_code& ec) { return number(v, ec); }
  bool on_uint64(std::uint64_t v, json::string_view, json::error_code& ec) {
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return out_of_range(ec);
    return number(static_cast<std::int64_t>(v), ec);
  }
  bool on_double(double, json::string_view, json::error_code& ec) {
    if (stray_element()) return not_an_object(ec);
    if (skip_ || !record_ || field_ == Field::other) return true;
    return wrong_type(ec);
  }
  bool on_bool(bool, json::error_code& ec) {
    if (stray_element()) return not_an_object(ec);
    if (skip_ || !record_ || field_ == Field::other) return true;
    return wrong_type(ec);
  }
  bool on_null(json::error_code& ec) {
    if (stray_element()) return not_an_object(ec);
    if (skip_ || !record_ || field_ == Field::other || field_ == Field::timestamp) return true;
    if (field_ == Field::key) {
      record_->key.reset();
      return true;
    }
    return wrong_type(ec);
  }

 private:
  enum class Field { other, records, partition, offset, timestamp, timestamp_type, key, value };
  static constexpr unsigned kPartition = 1, kOffset = 2, kValue = 4;

  static Field classify(std::string_view k) {
    if (k.empty()) return Field::other;
    // One character and the length decide among the known names before any full comparison.
    switch (k[0]) {
      case 'v': return k == "value" ? Field::value : Field::other;
      case 'o': return k == "offset" ? Field::offset : Field::other;
      case 'k': return k == "key" ? Field::key : Field::other;
      case 'p': return k == "partition" ? Field::partition : Field::other;
      case 't':
        if (k.size() == 9) return k == "timestamp" ? Field::timestamp : Field::other;
        return k == "timestampType" ? Field::timestamp_type : Field::other;
      case 'r': return k == "records" ? Field::records : Field::other;
      default: return Field::other;
    }
  }
  std::string* string_target(json::error_code& ec) {
    switch (field_) {
      case Field::value: return &record_->value;
      case Field::key: return record_->key ? &*record_->key : &record_->key.emplace();
      case Field::timestamp_type: return &record_->timestamp_type;
      case Field::other: return nullptr;
      default: wrong_type(ec); return nullptr;
    }
  }

  bool number(std::int64_t v, json::error_code& ec) {
    if (stray_element()) return not_an_object(ec);
    if (skip_ || !record_) return true;
    switch (field_) {
      case Field::partition:
        if (v < 0 || v > std::numeric_limits<std::int32_t>::max()) return out_of_range(ec);
        record_->partition = static_cast<std::int32_t>(v);
        seen_ |= kPartition;
        return true;
      case Field::offset:
        record_->offset = v;
        seen_ |= kOffset;
        return true;
      case Field::timestamp: record_->timestamp_ms = v; return true;
      case Field::other: return true;
      default: return wrong_type(ec);
    }
  }

  std::string where() const { return "records[" + std::to_string(out_.size() - 1) + "]."; }
  static const char* name(Field f) {
    switch (f) {
      case Field::partition: return "partition";
      case Field::offset: return "offset";
      case Field::timestamp: return "timestamp";
      case Field::timestamp_type: return "timestampType";
      case Field::key: return "key";
      case Field::value: return "value";
      default: return "field";
    }
  }
  bool wrong_type(json::error_code& ec) {
    const char* expected = field_ == Field::key     ? " is not a string or null"
                           : field_ == Field::value ? " is missing or not a string"
                           : field_ == Field::timestamp_type ? " is not a string"
                                                             : " is missing or not a number";
    return fail(where() + name(field_) + expected, ec);
  }
  // A scalar straight in the records array, where an object belongs.
  bool stray_element() const { return !skip_ && in_records_ && depth_ == records_depth_; }
  bool not_an_object(json::error_code& ec) {
    return fail("records[" + std::to_string(out_.size()) + "] is not an object", ec);
  }
  bool out_of_range(json::error_code& ec) { return fail(where() + name(field_) + " is out of range", ec); }
  bool fail(std::string message, json::error_code& ec) {
    error = std::move(message);
    ec = json::error::extra_data;  // any error: it only stops the parser; `error` says what
    return false;
  }

  // A value of no interest (an unknown field's object or array) is passed over, however deep.
  bool skip_value_begin() {
    ++skip_;
    return true;
  }
  bool skip_value_end() {
    --skip_;
    return true;
  }

  std::vector<ConsumedRecord>& out_;
  ConsumedRecord* record_ = nullptr;
  std::string key_;
  Field field_ = Field::other;
  unsigned seen_ = 0;
  int depth_ = 0;
  int records_depth_ = 1000;  // the depth of the records array, once found
  int skip_ = 0;
  bool in_records_ = false;
  bool partial_ = false;
};

// krest-proxy's own answer, in ConsumeBodyWriter's layout byte for byte, read without a JSON
// parser: a consumer reads one per request, and this is several times quicker than the SAX path.
// False at the first byte that is not that layout (another server's field order or spacing, a
// string with an escape, a number JSON would refuse): the caller parses the body again, properly.
class ExactConsumeReader {
 public:
  ExactConsumeReader(std::string_view body, std::vector<ConsumedRecord>& out)
      : p_(body.data()), end_(body.data() + body.size()), out_(out) {}

  bool read() {
    if (!expect("{\"records\":[")) return false;
    if (expect("]}")) return finish();
    for (;;) {
      ConsumedRecord& r = next_record();
      if (expect("{\"key\":null,\"value\":\"")) {
        r.key.reset();
      } else if (!expect("{\"key\":\"") || !string(r.key ? *r.key : r.key.emplace()) ||
                 !expect(",\"value\":\"")) {  // (a recycled key keeps its memory)
        return false;
      }
      std::int64_t partition = 0;
      if (!string(r.value) || !expect(",\"partition\":") || !integer(partition) || partition > std::numeric_limits<std::int32_t>::max() ||
          partition < 0 || !expect(",\"offset\":") || !integer(r.offset) || !expect(",\"timestamp\":") ||
          !timestamp(r.timestamp_ms))
        return false;
      r.partition = static_cast<std::int32_t>(partition);
      // Set only when it differs: a recycled record usually holds the same type already.
      static constexpr std::string_view kCreateTime = "CreateTime", kLogAppendTime = "LogAppendTime";
      std::string_view type;
      if (expect(",\"timestampType\":\"CreateTime\"}"))
        type = kCreateTime;
      else if (expect(",\"timestampType\":\"LogAppendTime\"}"))
        type = kLogAppendTime;
      else
        return false;
      if (r.timestamp_type != type) r.timestamp_type.assign(type);
      if (expect("]}")) return finish();
      if (!expect(",")) return false;
    }
  }

 private:
  // Records already in `out` (recycled ones) are written over, every field, so their strings'
  // memory is reused; what is left over at the end goes.
  ConsumedRecord& next_record() {
    return used_ < out_.size() ? out_[used_++] : (++used_, out_.emplace_back());
  }
  bool finish() {
    out_.resize(used_);
    return p_ == end_;
  }

  bool expect(std::string_view s) {
    if (static_cast<std::size_t>(end_ - p_) < s.size() || std::memcmp(p_, s.data(), s.size()) != 0) return false;
    p_ += s.size();
    return true;
  }
  // The rest of a string whose opening quote was read, when it holds no escape.
  bool string(std::string& target) {
    const std::string_view rest(p_, static_cast<std::size_t>(end_ - p_));
    std::size_t n = plain_ascii_json_prefix(rest);
    if (n < rest.size() && static_cast<unsigned char>(rest[n]) >= 0x80) {
      const std::size_t ascii = n;
      n += plain_json_prefix(rest.substr(n));
      if (!valid_utf8(rest.substr(ascii, n - ascii))) return false;
    }
    if (n == rest.size() || rest[n] != '"') return false;
    target.assign(p_, n);
    p_ += n + 1;
    return true;
  }
  // The records of one produce request share a timestamp, written alike: the same text as the
  // previous record's is the same value, without reading 13 digits again.
  bool timestamp(std::int64_t& v) {
    const std::size_t n = last_timestamp_text_.size();
    if (n > 0 && static_cast<std::size_t>(end_ - p_) > n && std::memcmp(p_, last_timestamp_text_.data(), n) == 0 &&
        static_cast<unsigned>(p_[n] - '0') >= 10) {
      p_ += n;
      v = last_timestamp_;
      return true;
    }
    const char* const begin = p_;
    if (!integer(v)) return false;
    last_timestamp_text_ = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
    last_timestamp_ = v;
    return true;
  }

  // An integer as JSON writes it (no '+', no leading zeros, no fraction or exponent). Up to 18
  // digits by hand (they cannot overflow); longer ones through from_chars, which checks range.
  bool integer(std::int64_t& v) {
    const bool negative = p_ < end_ && *p_ == '-';
    const char* const digits = negative ? p_ + 1 : p_;
    const char* q = digits;
    std::uint64_t magnitude = 0;
    while (q < end_ && q - digits < 18 && static_cast<unsigned>(*q - '0') < 10)
      magnitude = magnitude * 10 + static_cast<unsigned>(*q++ - '0');
    if (q == digits || (*digits == '0' && q - digits > 1)) return false;
    if (q < end_ && static_cast<unsigned>(*q - '0') < 10) {
      const auto [ptr, ec] = std::from_chars(p_, end_, v);
      if (ec != std::errc()) return false;
      q = ptr;
    } else {
      v = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
    }
    if (q < end_ && (*q == '.' || *q == 'e' || *q == 'E')) return false;
    p_ = q;
    return true;
  }

  const char* p_;
  const char* const end_;
  std::vector<ConsumedRecord>& out_;
  std::size_t used_ = 0;
  std::string_view last_timestamp_text_;
  std::int64_t last_timestamp_ = 0;
};

}  // namespace

std::optional<std::string> parse_consume_body(std::string_view body, std::vector<ConsumedRecord>& out) {
  out.reserve(body.size() / 128);
  if (ExactConsumeReader(body, out).read()) return std::nullopt;
  return parse_consume_body_generic(body, out);
}

bool parse_consume_body_exact(std::string_view body, std::vector<ConsumedRecord>& out) {
  return ExactConsumeReader(body, out).read();
}

std::optional<std::string> parse_consume_body_generic(std::string_view body, std::vector<ConsumedRecord>& out) {
  namespace json = boost::json;
  out.clear();
  // A guess that avoids regrowing the vector for typical records (about 130 bytes of JSON each).
  out.reserve(body.size() / 128);
  json::basic_parser<ConsumeHandler> parser(json::parse_options{}, out);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  if (parser.handler().error) return parser.handler().error;
  if (ec) return "malformed JSON in consume response: " + ec.message();
  if (used != body.size()) return "malformed JSON in consume response: unexpected data after the body";
  if (!parser.handler().saw_records) return "consume response holds neither {\"records\": [...]} nor an array";
  return std::nullopt;
}

}  // namespace krest::api
