#pragma once
// How `krest tail` and `krest consume` print records: NDJSON envelopes (the default), values only,
// or a kcat-style format string.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "krest/consumed_record.hpp"

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
