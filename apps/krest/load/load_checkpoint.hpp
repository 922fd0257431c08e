#pragma once
// What `krest load --checkpoint FILE` keeps on disk to resume a load: the inputs, and the position
// in them before which every record was acknowledged by the proxy or written to the reject file.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
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
// The lines are kept back to back in chunks of 64 KiB, not in a string each: an allocation and a
// free per record (with zstd contexts made per answer, coding/content_coding.cpp) took 0.12 s of
// the 0.80 s of user CPU time a 2,000,000-line load spent. A chunk goes once every line in it is
// resolved, so what is held stays about what the unresolved lines need.
class AckWindow {
 public:
  std::uint64_t add(InputPosition start, std::string_view line) {
    if (chunks_.empty() || chunks_.back().size - chunks_.back().used < line.size()) {
      const std::size_t size = std::max(kChunkBytes, line.size());
      // Not zeroed first: lines are copied over it (zeroing took 1 % of a load's CPU).
      chunks_.push_back({std::make_unique_for_overwrite<char[]>(size), size, 0});
    }
    Chunk& chunk = chunks_.back();
    std::copy(line.begin(), line.end(), chunk.data.get() + chunk.used);
    entries_.push_back({start, first_chunk_ + chunks_.size() - 1, chunk.used, line.size(), false});
    chunk.used += line.size();
    return first_ + entries_.size() - 1;
  }
  // The line of an unresolved record.
  std::string_view line(std::uint64_t seq) const {
    const Entry& e = entries_[seq - first_];
    return {chunks_[e.chunk - first_chunk_].data.get() + e.offset, e.length};
  }
  const InputPosition& start(std::uint64_t seq) const { return entries_[seq - first_].start; }
  void resolve(std::uint64_t seq) {
    entries_[seq - first_].resolved = true;
    while (!entries_.empty() && entries_.front().resolved) {
      entries_.pop_front();
      ++first_;
    }
    // Chunks before the oldest unresolved line's go; with none left unresolved, the last one stays
    // (emptied) for the lines to come.
    const std::uint64_t keep_from = entries_.empty() ? first_chunk_ + chunks_.size() - 1 : entries_.front().chunk;
    while (first_chunk_ < keep_from) {
      chunks_.pop_front();
      ++first_chunk_;
    }
    if (entries_.empty() && !chunks_.empty()) chunks_.back().used = 0;
  }
  std::optional<InputPosition> oldest_unresolved() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.front().start;
  }
  std::size_t size() const { return entries_.size(); }
  std::size_t chunks() const { return chunks_.size(); }  // for tests: what is held

 private:
  static constexpr std::size_t kChunkBytes = 64 * 1024;
  struct Entry {
    InputPosition start;   // the position before the record's line
    std::uint64_t chunk;   // which chunk holds its line, counting every chunk ever made
    std::size_t offset;
    std::size_t length;
    bool resolved;
  };
  struct Chunk {
    std::unique_ptr<char[]> data;
    std::size_t size;
    std::size_t used;
  };
  std::deque<Entry> entries_;
  std::uint64_t first_ = 0;
  std::deque<Chunk> chunks_;
  std::uint64_t first_chunk_ = 0;  // chunks dropped from the front so far
};

}  // namespace krest::cli
