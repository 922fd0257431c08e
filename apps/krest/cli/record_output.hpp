#pragma once
// How `krest tail` and `krest consume` print records: NDJSON envelopes (the default), values only,
// or a kcat-style format string.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "krest/consumed_record.hpp"
#include "krest/consumer.hpp"

namespace krest::cli {

class RecordOutput {
 public:
  // `format`: "ndjson", "value", or a format string with kcat's tokens: %t topic, %p partition,
  // %o offset, %k key, %s value, %T timestamp (ms), %K key length, %S value length, %% a percent
  // sign, and \n \t \\ escapes. Like kcat's -f, a format string adds no line end of its own.
  // Throws UsageError for an unknown token.
  explicit RecordOutput(const std::string& format);

  // Appends `record` of `topic` to `out`.
  void append(std::string& out, std::string_view topic, const ConsumedRecord& record) const;

  // Appends the batch's records, at most `limit` of them (0: all), and returns how many. `next`
  // becomes the offset to continue from: past the last record appended when the limit stopped it,
  // else the batch's own next offset (past compacted or expired offsets too).
  std::size_t append_batch(std::string& out, const RecordBatch& batch, std::uint64_t limit, std::int64_t& next) const;

 private:
  enum class Kind { ndjson, value, pattern };
  struct Piece {
    char token = 0;  // 0: literal text
    std::string text;
  };
  Kind kind_;
  std::vector<Piece> pieces_;
};

}  // namespace krest::cli
