#include "load/record_format.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <optional>

#include "api/json_text.hpp"
#include "api/utf8.hpp"
#include "cli/usage_error.hpp"

namespace krest::cli {
namespace {

std::string json_text_of(const boost::json::value& v) { return boost::json::serialize(v); }

// A JSON value as a record's key or value: a string's characters, or any other value's JSON text.
void assign_json(const boost::json::value& v, std::string& out, bool& is_json) {
  if (v.is_string()) {
    out.assign(v.get_string().data(), v.get_string().size());
    is_json = false;
  } else {
    out = json_text_of(v);
    is_json = true;
  }
}

// One line's JSON document in a fresh arena that starts on the stack: a short line's document
// allocates nothing. (Reusing one monotonic_resource after release() is not an option in Boost
// 1.81: its next block size keeps doubling across releases.)
struct LineDocument {
  unsigned char arena[4096];
  boost::json::monotonic_resource memory{arena, sizeof arena};
  std::optional<boost::json::value> doc;  // after `memory`, so destroyed before it

  std::string parse(std::string_view line) {
    boost::json::error_code ec;
    // Moved in, not assigned: assignment would copy the document out of the arena.
    doc.emplace(boost::json::parse(line, ec, boost::json::storage_ptr(&memory)));
    return ec ? "not a JSON value: " + ec.message() : std::string();
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string split_csv(std::string_view line, char delimiter, std::vector<std::string>& fields) {
  fields.clear();
  std::size_t i = 0;
  for (;;) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size())
          return "a quoted field is not closed";
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      if (i < line.size() && line[i] != delimiter)
        return "unexpected text after the closing quote of field " + std::to_string(fields.size() + 1);
    } else {
      auto next = line.find(delimiter, i);
      if (next == std::string_view::npos) next = line.size();
      field.assign(line.substr(i, next - i));
      if (field.find('"') != std::string::npos)
        return "a quote inside unquoted field " + std::to_string(fields.size() + 1);
      i = next;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return {};
    ++i;  // the delimiter
  }
}

RecordFormat::RecordFormat(FormatOptions options) : options_(std::move(options)) {
  const auto& f = options_.format;
  if (f == "ndjson")
    kind_ = Kind::ndjson;
  else if (f == "json")
    kind_ = Kind::json;
  else if (f == "csv")
    kind_ = Kind::csv;
  else if (f != "lines")
    throw UsageError("--format '" + f + "' is not one of: lines, ndjson, json, csv");
  if (!options_.key_delimiter.empty() && f != "lines")
    throw UsageError("--key-delimiter goes with --format lines (for " + f + " use --key-field)");
  if (!options_.key_field.empty() && f != "ndjson" && f != "csv")
    throw UsageError(f == "json" ? "--format json takes the key from each record's \"key\"; drop --key-field"
                                 : "--key-field goes with --format ndjson or csv (for lines use --key-delimiter)");
  if (f == "ndjson" && !options_.key_field.empty() && options_.key_field.front() != '/')
    throw UsageError("--key-field '" + options_.key_field + "' is not a JSON pointer (like /user/id)");
  if (options_.csv_value != "line" && options_.csv_value != "json")
    throw UsageError("--csv-value '" + options_.csv_value + "' is not one of: line, json");
  if (f == "csv" && options_.csv_value == "json" && !options_.csv_header)
    throw UsageError("--csv-value json names the fields after the header row: it needs --csv-header");
  if (f == "csv" && !options_.key_field.empty()) {
    const auto& k = options_.key_field;
    long number = 0;
    auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), number);
    if (ec == std::errc() && end == k.data() + k.size()) {
      if (number < 1) throw UsageError("--key-field " + k + ": columns are numbered from 1");
      key_column_ = number - 1;
    } else if (!options_.csv_header) {
      throw UsageError("--key-field '" + k + "' names a column, and without --csv-header there are no names");
    }
  }
}

std::string RecordFormat::read_header(std::string_view line) {
  if (auto e = split_csv(line, options_.csv_delimiter, header_); !e.empty()) return "header: " + e;
  if (!options_.key_field.empty() && key_column_ < 0) {
    for (std::size_t i = 0; i < header_.size(); ++i)
      if (trim(header_[i]) == options_.key_field) key_column_ = static_cast<long>(i);
    if (key_column_ < 0) return "header has no column '" + options_.key_field + "' for --key-field";
  }
  return {};
}

std::string RecordFormat::parse(std::string_view line, Record& record) {
  // A fresh Record, but with the value's buffer kept: replacing it whole freed the buffer for the
  // next line to allocate again.
  std::string value = std::move(record.value);
  value.clear();
  record = Record{};
  record.value = std::move(value);
  if (kind_ == Kind::ndjson) return parse_ndjson(line, record);
  if (kind_ == Kind::json) return parse_json(line, record);
  if (!api::valid_utf8(line)) return "not valid UTF-8";
  if (kind_ == Kind::csv) return parse_csv(line, record);
  if (!options_.key_delimiter.empty()) {
    auto at = line.find(options_.key_delimiter);
    if (at != std::string_view::npos) {
      record.key.emplace(line.substr(0, at));
      line.remove_prefix(at + options_.key_delimiter.size());
    }
  }
  record.value.assign(line);
  return {};
}

std::string RecordFormat::parse_ndjson(std::string_view line, Record& record) {
  LineDocument line_doc;
  if (auto e = line_doc.parse(line); !e.empty()) return e;
  const auto& doc = *line_doc.doc;
  if (!options_.key_field.empty()) {
    boost::json::error_code pointer_ec;
    const auto* key = doc.find_pointer(options_.key_field, pointer_ec);
    if (!key || key->is_null()) return "no key at " + options_.key_field;
    bool key_json = false;
    record.key.emplace();
    assign_json(*key, *record.key, key_json);
    record.key_json = key_json;
  }
  record.value.assign(trim(line));
  record.value_json = true;
  return {};
}

std::string RecordFormat::parse_json(std::string_view line, Record& record) {
  LineDocument line_doc;
  if (auto e = line_doc.parse(line); !e.empty()) return e;
  const auto& doc = *line_doc.doc;
  const auto* obj = doc.if_object();
  if (!obj) return "not a JSON object like {\"key\":..,\"value\":..}";
  bool has_value = false;
  for (const auto& [name, v] : *obj) {
    if (name == "value") {
      if (v.is_null()) return "\"value\" is null (the API has no null values)";
      assign_json(v, record.value, record.value_json);
      has_value = true;
    } else if (name == "key") {
      if (v.is_null()) continue;
      record.key.emplace();
      assign_json(v, *record.key, record.key_json);
    } else if (name == "partition") {
      if (!v.is_int64() || v.get_int64() < 0 || v.get_int64() > INT32_MAX)
        return "\"partition\" must be a non-negative integer";
      record.partition = static_cast<std::int32_t>(v.get_int64());
    } else {
      return "unknown field \"" + std::string(name) + "\" (records have key, value, partition)";
    }
  }
  if (!has_value) return "no \"value\"";
  return {};
}

std::string RecordFormat::parse_csv(std::string_view line, Record& record) {
  if (auto e = split_csv(line, options_.csv_delimiter, fields_); !e.empty()) return e;
  if (key_column_ >= 0) {
    if (static_cast<std::size_t>(key_column_) >= fields_.size())
      return "no column " + std::to_string(key_column_ + 1) + " for the key (the row has " +
             std::to_string(fields_.size()) + ")";
    record.key = fields_[static_cast<std::size_t>(key_column_)];
  }
  if (options_.csv_value == "line") {
    record.value.assign(line);
    return {};
  }
  if (fields_.size() != header_.size())
    return "the row has " + std::to_string(fields_.size()) + " fields and the header " +
           std::to_string(header_.size());
  std::string& out = record.value;
  out = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i) out += ',';
    api::append_json_string(out, header_[i]);
    out += ':';
    api::append_json_string(out, fields_[i]);
  }
  out += '}';
  record.value_json = true;
  return {};
}

}  // namespace krest::cli
