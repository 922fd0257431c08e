#pragma once
// The records a load could not deliver, one NDJSON object per line with where each came from:
//   {"file":"in.csv","line":17,"error":"...","input":"<the line>"}
// ("input_base64" instead of "input" for a line that is not UTF-8). Opened on the first reject.
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

  // Throws std::runtime_error when the file cannot be written.
  void write(std::string_view file, std::uint64_t line, std::string_view error, std::string_view input);
  void sync();  // before a checkpoint moves past the records written here
  std::uint64_t count() const { return count_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool append_;
  std::FILE* out_ = nullptr;
  std::uint64_t count_ = 0;
};

}  // namespace krest::cli
