// krest load's input lines in every format, a CSV header included; the same text read as a file
// (plain or gzip) into rows, CSV rows spanning lines; and the CLI's checkpoint files.
#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>

#include "cli/usage_error.hpp"
#include "fuzz_input.hpp"
#include "load/load_checkpoint.hpp"
#include "load/line_reader.hpp"
#include "load/record_format.hpp"
#include "load/row_reader.hpp"
#include "tail/tail_checkpoint.hpp"

using namespace krest::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  FormatOptions lines;
  lines.key_delimiter = "|";
  FormatOptions ndjson;
  ndjson.format = "ndjson";
  ndjson.key_field = "/a/b";
  FormatOptions json;
  json.format = "json";
  FormatOptions csv;
  csv.format = "csv";
  csv.key_field = "id";
  csv.csv_value = "json";
  for (const auto& options : {lines, ndjson, json, csv}) {
    RecordFormat format(options);
    krest::Record record;
    std::size_t start = 0;
    bool first = true;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      auto line = text.substr(start, end - start);
      if (first && format.wants_header())
        (void)format.read_header(line);
      else
        (void)format.parse(line, record);
      first = false;
      start = end + 1;
    }
  }
  // As krest load reads a file: short limits, so that overlong lines and rows are met too.
  int fd = ::memfd_create("input", MFD_CLOEXEC);
  if (fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
    try {
      LineReader lines("/proc/self/fd/" + std::to_string(fd), 64);
      RowReader rows(lines, ',', 64);
      RecordFormat format(csv);
      krest::Record record;
      RowReader::Row row;
      bool first = true;
      while (rows.next(row)) {
        if (row.problem != RowReader::Problem::none) continue;
        if (first)
          (void)format.read_header(row.text);
        else
          (void)format.parse(row.text, record);
        first = false;
      }
    } catch (const std::runtime_error&) {  // a corrupt gzip stream
    }
  }
  if (fd >= 0) ::close(fd);
  try {
    (void)parse_load_checkpoint(std::string(text), "fuzz");
  } catch (const UsageError&) {
  }
  try {
    (void)parse_tail_checkpoint(std::string(text), "fuzz");
  } catch (const UsageError&) {
  }
  return 0;
}
