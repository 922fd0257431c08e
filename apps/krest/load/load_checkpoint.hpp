#pragma once
// What `krest load --checkpoint FILE` keeps on disk to resume a load: the inputs, and the position
// in them before which every record was acknowledged by the proxy or written to the reject file.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
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
//
// The lines are kept back to back in one buffer, not one string each: an allocation and a free per
// record were a tenth of `krest load`'s CPU time. What the oldest entries leave behind is dropped
// once it is at least half the buffer, so each byte is moved at most about once.
class AckWindow {
 public:
  std::uint64_t add(InputPosition start, std::string_view line) {
    entries_.push_back({start, text_dropped_ + text_.size(), line.size(), false});
    text_.append(line);
    return first_ + entries_.size() - 1;
  }
  // The line of an unresolved record; valid until the next add() or resolve().
  std::string_view line(std::uint64_t seq) const {
    const Entry& e = entries_[seq - first_];
    return std::string_view(text_).substr(e.text_at - text_dropped_, e.length);
  }
  const InputPosition& start(std::uint64_t seq) const { return entries_[seq - first_].start; }
  void resolve(std::uint64_t seq) {
    entries_[seq - first_].resolved = true;
    while (!entries_.empty() && entries_.front().resolved) {
      entries_.pop_front();
      ++first_;
    }
    const std::uint64_t keep_from = entries_.empty() ? text_dropped_ + text_.size() : entries_.front().text_at;
    const auto unused = static_cast<std::size_t>(keep_from - text_dropped_);
    if (unused > 0 && unused * 2 >= text_.size()) {
      text_.erase(0, unused);
      text_dropped_ = keep_from;
      if (text_.empty() && text_.capacity() > kKeptCapacity) std::string().swap(text_);
    }
  }
  std::optional<InputPosition> oldest_unresolved() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.front().start;
  }
  std::size_t size() const { return entries_.size(); }
  std::size_t text_bytes() const { return text_.size(); }  // for tests: what the buffer holds

 private:
  static constexpr std::size_t kKeptCapacity = 1 << 20;
  struct Entry {
    InputPosition start;     // the position before the record's line
    std::uint64_t text_at;   // where its line begins, counting every byte ever added
    std::size_t length;
    bool resolved;
  };
  std::deque<Entry> entries_;
  std::uint64_t first_ = 0;
  std::string text_;               // the lines from text_dropped_ on
  std::uint64_t text_dropped_ = 0;  // bytes dropped from text_'s front so far
};

}  // namespace krest::cli
