#pragma once
// The records a load could not deliver, one NDJSON object per line with where each came from:
//   {"file":"in.csv","line":17,"error":"...","input":"<the line>"}
// ("input_base64" instead of "input" for a line that is not UTF-8). A line too long to keep is
// described instead: {"file":..,"line":..,"error":..,"input_bytes":20971520,"limit":8388608,
// "input_prefix":"<its first 256 bytes>"}. Opened on the first reject.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace krest::cli {

class RejectFile {
 public:
  // `append`: keep what an earlier run of a resumed load wrote.
  RejectFile(std::string path, bool append) : path_(std::move(path)), append_(append) {}
  ~RejectFile();
  RejectFile(const RejectFile&) = delete;
  RejectFile& operator=(const RejectFile&) = delete;

  // A load that starts afresh moves an earlier run's rejects aside, to PATH.old, so that what the
  // file holds afterwards is this run's alone. Returns what it did, for the user, or empty.
  std::string set_aside_earlier();

  // Throws std::runtime_error when the file cannot be written.
  void write(std::string_view file, std::uint64_t line, std::string_view error, std::string_view input);
  void write_too_long(std::string_view file, std::uint64_t line, std::uint64_t input_bytes, std::uint64_t limit,
                      std::string_view prefix);
  void sync();  // before a checkpoint moves past the records written here
  std::uint64_t count() const { return count_; }
  const std::string& path() const { return path_; }

 private:
  std::string begin_entry(std::string_view file, std::uint64_t line, std::string_view error) const;
  void append_input(std::string& text, const char* name, std::string_view input) const;
  void finish_entry(std::string& text);

  std::string path_;
  bool append_;
  std::FILE* out_ = nullptr;
  std::uint64_t count_ = 0;
};

}  // namespace krest::cli
