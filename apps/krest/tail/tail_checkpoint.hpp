#pragma once
// What `krest tail --checkpoint FILE` keeps on disk: for each partition, the offset after the last
// record written out, and, when the output is a file, that file's length at the same moment; so a
// restart after a crash cuts the file back to that length and fetches again from those offsets —
// no gap and no repeat.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace krest::cli {

struct TailCheckpoint {
  std::string topic;
  std::map<std::int32_t, std::int64_t> next_offsets;
  std::string output;                         // the output file; empty for stdout
  std::optional<std::uint64_t> output_bytes;  // its length when the offsets were saved
};

std::string to_json(const TailCheckpoint& checkpoint);
// Throws UsageError naming `path` when the text is not a tail checkpoint.
TailCheckpoint parse_tail_checkpoint(const std::string& text, const std::string& path);

}  // namespace krest::cli
