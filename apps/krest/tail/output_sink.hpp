#pragma once
// Where consumed records go: stdout, or a file appended to whose length a checkpoint can record
// and, after a crash, cut back to.
#include <cstdint>
#include <string>

namespace krest::cli {

class OutputSink {
 public:
  // "-" is stdout. A file is opened for appending; when `truncate_to` is set it is first cut back
  // to that length (throws std::runtime_error when it is shorter: changed by someone else).
  OutputSink(const std::string& path, const std::uint64_t* truncate_to);
  ~OutputSink();
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  // Writes all of `data`. False when the reader went away (EPIPE: `krest tail | head`); throws
  // std::runtime_error on other errors.
  bool write(const std::string& data);
  // True when stdout is a pipe whose reader went away, found without writing: a tail that has
  // written everything and waits for new records would otherwise wait on (`krest tail | head`
  // after head took what it wanted from the pipe's buffer).
  bool reader_gone() const;
  void sync();  // to disk, before a checkpoint names this length
  bool is_file() const { return fd_ != 1; }
  const std::string& path() const { return path_; }
  std::uint64_t bytes() const { return bytes_; }  // the file's length (files only)

 private:
  std::string path_;
  int fd_ = 1;
  std::uint64_t bytes_ = 0;
};

}  // namespace krest::cli
