#pragma once
// What `krest load --checkpoint FILE` keeps on disk to resume a load: the inputs, and the position
// in them before which every record was acknowledged by the proxy or written to the reject file.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace krest::cli {

// A place in the inputs: `line` lines of file number `file` are behind it, ending at byte `offset`.
struct InputPosition {
  std::size_t file = 0;
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
};

struct LoadCheckpoint {
  std::string topic;
  std::vector<std::string> inputs;
  std::vector<std::uint64_t> sizes;  // each input's size when the load began
  InputPosition next;
  bool complete = false;
  std::uint64_t acknowledged = 0;  // over every run of this load
  std::uint64_t rejected = 0;
};

std::string to_json(const LoadCheckpoint& checkpoint);
// Throws UsageError naming `path` when the text is not a checkpoint.
LoadCheckpoint parse_load_checkpoint(const std::string& text, const std::string& path);

// The records sent and not yet resolved, oldest first, with what a reject or a checkpoint needs of
// them: the oldest unresolved record's position is where a resumed load starts again.
class AckWindow {
 public:
  struct Entry {
    InputPosition start;  // the position before the record's line
    std::string line;     // the input line, for the reject file
    bool resolved = false;
  };

  std::uint64_t add(InputPosition start, std::string line) {
    entries_.push_back({start, std::move(line), false});
    return first_ + entries_.size() - 1;
  }
  Entry& at(std::uint64_t seq) { return entries_[seq - first_]; }
  void resolve(std::uint64_t seq) {
    auto& e = at(seq);
    e.resolved = true;
    std::string().swap(e.line);
    while (!entries_.empty() && entries_.front().resolved) {
      entries_.pop_front();
      ++first_;
    }
  }
  std::optional<InputPosition> oldest_unresolved() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.front().start;
  }
  std::size_t size() const { return entries_.size(); }

 private:
  std::deque<Entry> entries_;
  std::uint64_t first_ = 0;
};

}  // namespace krest::cli
