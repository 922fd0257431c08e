#pragma once
// Turns one input line into a record, per `krest load --format`:
//   lines   the line is the value; --key-delimiter splits a key off its front (as kcat -K)
//   ndjson  the line is a JSON value, sent as the value as it is; --key-field POINTER picks the key
//   json    the line is {"key":..,"value":..,"partition":..}; strings are sent as they are, other
//           JSON values as their JSON text
//   csv     the line is a CSV row, sent as it is or (--csv-value json) as an object keyed by the
//           header; --key-field names the key column (or gives its number, from 1)
#include <string>
#include <string_view>
#include <vector>

#include "krest/producer.hpp"

namespace krest::cli {

struct FormatOptions {
  std::string format = "lines";  // lines | ndjson | json | csv
  std::string key_field;         // ndjson: a JSON pointer; csv: a column name or number
  std::string key_delimiter;     // lines
  bool csv_header = true;        // the first line of each csv file names the columns
  char csv_delimiter = ',';
  std::string csv_value = "line";  // line | json
};

class RecordFormat {
 public:
  // Throws UsageError for options that do not go together.
  explicit RecordFormat(FormatOptions options);

  // Whether the first line of each file is a header to pass to read_header() instead of parse().
  bool wants_header() const { return kind_ == Kind::csv && options_.csv_header; }
  // Returns the problem with the header, or empty.
  std::string read_header(std::string_view line);

  // Fills `record` from `line`; returns why the line cannot be a record, or empty. The record's
  // strings keep their capacity: one Record filled line after line allocates nothing per line.
  std::string parse(std::string_view line, Record& record);

 private:
  std::string parse_ndjson(std::string_view line, Record& record);
  std::string parse_json(std::string_view line, Record& record);
  std::string parse_csv(std::string_view line, Record& record);

  // options_.format, read once: compared per line, its string took 1.5 % of a load's CPU.
  enum class Kind { lines, ndjson, json, csv };
  FormatOptions options_;
  Kind kind_ = Kind::lines;
  std::vector<std::string> header_;
  std::vector<std::string> fields_;
  long key_column_ = -1;  // csv: the key's column from 0, -1 for none
};

// Splits a CSV row (RFC 4180 quoting) into `fields`. Returns the problem, or empty.
std::string split_csv(std::string_view line, char delimiter, std::vector<std::string>& fields);

}  // namespace krest::cli
