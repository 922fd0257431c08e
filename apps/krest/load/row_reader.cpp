#include "load/row_reader.hpp"

namespace krest::cli {

bool csv_ends_quoted(std::string_view text, char delimiter, bool quoted) {
  bool field_start = !quoted;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c != '"') continue;
      if (i + 1 < text.size() && text[i + 1] == '"')
        ++i;
      else
        quoted = false;
    } else if (c == delimiter) {
      field_start = true;
    } else {
      quoted = c == '"' && field_start;
      field_start = false;
    }
  }
  return quoted;
}

bool RowReader::next(Row& row) {
  std::string_view line;
  if (!lines_.next(line)) return false;
  row = Row{line, lines_.line_number(), lines_.line_bytes(), Problem::none};
  if (lines_.too_long()) row.problem = Problem::too_long;
  if (lines_.cut_short()) row.problem = Problem::cut_short;
  if (row.problem != Problem::none || delimiter_ == 0 || !csv_ends_quoted(line, delimiter_, false)) return true;

  // A quoted field goes on to the next line: join lines until it closes.
  joined_.assign(line);
  for (;;) {
    if (!lines_.next(line)) {
      row.problem = Problem::unclosed;
      break;
    }
    row.bytes += 1 + lines_.line_bytes();
    if (lines_.too_long() || joined_.size() + 1 + line.size() > max_) {
      // The row is too long whatever follows: the rest of it is read past as the lines of a
      // quoted field until the quote closes (or the input ends).
      row.problem = Problem::too_long;
      bool quoted = !lines_.too_long() && csv_ends_quoted(line, delimiter_, true);
      while (quoted || lines_.too_long()) {
        if (!lines_.next(line)) break;
        row.bytes += 1 + lines_.line_bytes();
        if (lines_.cut_short()) break;
        quoted = !lines_.too_long() && csv_ends_quoted(line, delimiter_, true);
      }
      if (joined_.size() > LineReader::kPrefixBytes) {
        joined_.resize(LineReader::kPrefixBytes);
        drop_split_character(joined_);
      }
      break;
    }
    joined_ += '\n';
    joined_ += line;
    if (lines_.cut_short()) {
      row.problem = Problem::cut_short;
      break;
    }
    if (!csv_ends_quoted(line, delimiter_, true)) break;
  }
  row.text = joined_;
  return true;
}

}  // namespace krest::cli
