#pragma once
// The inputs of one record, read from a LineReader: a line, or for CSV the lines a quoted field
// spans (RFC 4180 allows line breaks inside quotes), joined with "\n". A row carries the number of
// the line it starts on, so that a reject names the line a user would look at.
#include <cstdint>
#include <string>
#include <string_view>

#include "load/line_reader.hpp"

namespace krest::cli {

// Whether a CSV row that is (`quoted`) or is not inside a quoted field where `text` begins is
// inside one where it ends. A quote opens a field only at the field's start; "" inside is a quote.
bool csv_ends_quoted(std::string_view text, char delimiter, bool quoted);

class RowReader {
 public:
  enum class Problem {
    none,
    too_long,   // longer than max_row_bytes: `text` is its start, `bytes` its length
    cut_short,  // the input is damaged inside it (the next call throws the reader's error)
    unclosed,   // CSV: a quoted field still open at the end of the input
  };
  struct Row {
    std::string_view text;  // valid until the next call
    std::uint64_t line = 0;   // the line it starts on, from 1
    std::uint64_t bytes = 0;  // its length in the input
    Problem problem = Problem::none;
  };

  // `csv_delimiter` 0: every line is a row.
  RowReader(LineReader& lines, char csv_delimiter, std::size_t max_row_bytes)
      : lines_(lines), delimiter_(csv_delimiter), max_(max_row_bytes) {}

  // False at the end of the input; throws what the LineReader throws.
  bool next(Row& row);

 private:
  LineReader& lines_;
  char delimiter_;
  std::size_t max_;
  std::string joined_;
};

}  // namespace krest::cli
