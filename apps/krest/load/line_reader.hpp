#pragma once
// Reads an input file line by line in bounded memory: plain or gzip (detected from the data, so
// `.gz` names are not needed), a file or stdin ("-"), with the line number and byte offset of each
// line so a load can report a bad line and resume where it stopped.
#include <cstdint>
#include <string>
#include <string_view>

namespace krest::cli {

// Removes a UTF-8 character that a cut at the end of `text` left incomplete.
void drop_split_character(std::string& text);

class LineReader {
 public:
  // Throws UsageError when the file cannot be opened.
  LineReader(const std::string& path, std::size_t max_line_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, without its line end ("\n" or "\r\n"); valid until the next call. False at the
  // end. A line longer than max_line_bytes comes back as its first kPrefixBytes (cut at a character
  // boundary) with too_long() set; the rest of it is skipped. Throws std::runtime_error when the
  // data cannot be read (a corrupt or truncated gzip stream): a line the damage cuts short comes
  // back first, with cut_short() set, and the next call throws.
  bool next(std::string_view& line);
  bool too_long() const { return too_long_; }
  bool cut_short() const { return cut_short_; }
  std::uint64_t line_bytes() const { return line_bytes_; }  // the whole line's length, too long or not
  static constexpr std::size_t kPrefixBytes = 256;

  std::uint64_t line_number() const { return line_number_; }  // of the line last returned, from 1
  std::uint64_t offset() const { return offset_; }  // uncompressed bytes up to the end of that line
  std::uint64_t compressed_offset() const;          // bytes of the file read so far (for progress)
  bool compressed() const;                          // gzip, not plain
  std::uint64_t buffered() const { return end_ - begin_; }  // read, and not yet returned as lines

  // Continues after `line` lines ending at byte `offset` (from a checkpoint). Throws
  // std::runtime_error when the input is shorter than that.
  void skip_to(std::uint64_t offset, std::uint64_t line);

 private:
  bool fill();
  void finish_line(std::size_t length, std::uint64_t dropped, std::string_view& line);
  [[noreturn]] void fail(const char* what) const;

  std::string path_;
  void* file_ = nullptr;  // gzFile
  std::size_t max_line_;
  std::string buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool too_long_ = false;
  bool cut_short_ = false;
  std::string pending_error_;  // thrown by the next call, after the line it cut short
  std::string prefix_;         // of the line too long to keep
  std::uint64_t line_bytes_ = 0;
  std::uint64_t line_number_ = 0;
  std::uint64_t offset_ = 0;
};

}  // namespace krest::cli
