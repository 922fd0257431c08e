#pragma once
// Reads an input file line by line in bounded memory: plain or gzip (detected from the data, so
// `.gz` names are not needed), a file or stdin ("-"), with the line number and byte offset of each
// line so a load can report a bad line and resume where it stopped.
#include <cstdint>
#include <string>
#include <string_view>

namespace krest::cli {

class LineReader {
 public:
  // Throws UsageError when the file cannot be opened.
  LineReader(const std::string& path, std::size_t max_line_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, without its line end ("\n" or "\r\n"); valid until the next call. False at the
  // end. A line longer than max_line_bytes comes back empty with too_long() set (the rest of it is
  // skipped). Throws std::runtime_error when the data cannot be read (a corrupt gzip stream).
  bool next(std::string_view& line);
  bool too_long() const { return too_long_; }

  std::uint64_t line_number() const { return line_number_; }  // of the line last returned, from 1
  std::uint64_t offset() const { return offset_; }  // uncompressed bytes up to the end of that line
  std::uint64_t compressed_offset() const;          // bytes of the file read so far (for progress)

  // Continues after `line` lines ending at byte `offset` (from a checkpoint). Throws
  // std::runtime_error when the input is shorter than that.
  void skip_to(std::uint64_t offset, std::uint64_t line);

 private:
  bool fill();

  std::string path_;
  void* file_ = nullptr;  // gzFile
  std::size_t max_line_;
  std::string buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool too_long_ = false;
  std::uint64_t line_number_ = 0;
  std::uint64_t offset_ = 0;
};

}  // namespace krest::cli
