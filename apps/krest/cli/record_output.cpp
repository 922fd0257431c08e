#include "cli/record_output.hpp"

#include "api/json_text.hpp"
#include "cli/usage_error.hpp"

namespace krest::cli {

RecordOutput::RecordOutput(const std::string& format) {
  if (format == "ndjson" || format == "json") {
    kind_ = Kind::ndjson;
    return;
  }
  if (format == "value") {
    kind_ = Kind::value;
    return;
  }
  kind_ = Kind::pattern;
  std::string literal;
  auto flush_literal = [&] {
    if (!literal.empty()) pieces_.push_back({0, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if ((c == '%' || c == '\\') && i + 1 == format.size())
      throw UsageError("format '" + format + "' ends with a lone '" + std::string(1, c) + "'");
    if (c == '\\') {
      char e = format[++i];
      if (e == 'n')
        literal += '\n';
      else if (e == 't')
        literal += '\t';
      else if (e == 'r')
        literal += '\r';
      else if (e == '\\')
        literal += '\\';
      else
        throw UsageError("format '" + format + "': unknown escape \\" + std::string(1, e) + " (use \\n \\t \\r \\\\)");
    } else if (c == '%') {
      char t = format[++i];
      if (t == '%') {
        literal += '%';
        continue;
      }
      if (std::string_view("tpoksTKS").find(t) == std::string_view::npos)
        throw UsageError("format '" + format + "': unknown token %" + std::string(1, t) +
                         " (use %t %p %o %k %s %T %K %S %%)");
      flush_literal();
      pieces_.push_back({t, {}});
    } else {
      literal += c;
    }
  }
  flush_literal();
  bool any_token = false;
  for (const auto& p : pieces_) any_token = any_token || p.token != 0;
  if (!any_token)
    throw UsageError("format '" + format + "' is not ndjson or value, and has no %-token to be a format string");
}

std::size_t RecordOutput::append_batch(std::string& out, const RecordBatch& batch, std::uint64_t limit,
                                       std::int64_t& next) const {
  std::size_t n = 0;
  for (const auto& r : batch.records) {
    append(out, batch.topic, r);
    ++n;
    if (limit > 0 && n == limit) {
      next = r.offset + 1;
      return n;
    }
  }
  next = batch.next_offset;
  return n;
}

void RecordOutput::append(std::string& out, std::string_view topic, const ConsumedRecord& r) const {
  switch (kind_) {
    case Kind::value:
      out += r.value;
      out += '\n';
      return;
    case Kind::ndjson:
      out += "{\"topic\":";
      api::append_json_string(out, topic);
      out += ",\"partition\":";
      api::append_int(out, r.partition);
      out += ",\"offset\":";
      api::append_int(out, r.offset);
      out += ",\"timestamp\":";
      api::append_int(out, r.timestamp_ms);
      out += ",\"key\":";
      if (r.key)
        api::append_json_string(out, *r.key);
      else
        out += "null";
      out += ",\"value\":";
      api::append_json_string(out, r.value);
      out += "}\n";
      return;
    case Kind::pattern:
      for (const auto& p : pieces_) {
        switch (p.token) {
          case 0: out += p.text; break;
          case 't': out += topic; break;
          case 'p': api::append_int(out, r.partition); break;
          case 'o': api::append_int(out, r.offset); break;
          case 'k': if (r.key) out += *r.key; break;
          case 's': out += r.value; break;
          case 'T': api::append_int(out, r.timestamp_ms); break;
          case 'K': api::append_int(out, r.key ? static_cast<std::int64_t>(r.key->size()) : -1); break;
          case 'S': api::append_int(out, static_cast<std::int64_t>(r.value.size())); break;
        }
      }
      return;
  }
}

}  // namespace krest::cli
