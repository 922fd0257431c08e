#pragma once
// Where a consumer starts, as the command line says it, in kcat's words too: beginning|earliest,
// end|latest, an offset, or -N (N records before the end of each partition).
#include <cstdint>
#include <string>

#include "krest/consumer.hpp"

namespace krest::cli {

struct StartSpec {
  enum class Kind { earliest, latest, offset, before_end };
  Kind kind = Kind::earliest;
  std::int64_t n = 0;  // the offset, or how far before the end
  // Whether it needs each partition's offsets to be placed (an offset may be past the end, -N
  // counts from it).
  bool needs_offsets() const { return kind == Kind::offset || kind == Kind::before_end; }
  StartAt as_start_at() const;  // earliest or latest as they are; an offset as given
};

// Throws UsageError naming `flag` and the text for anything else.
StartSpec parse_start(const std::string& text, const char* flag);

// Where a partition whose records span [earliest, latest) starts, and a note when the spec had to
// be moved: an offset past the end starts at the end (what comes next), one before the start at
// the start (retention removed what was asked for).
struct PlacedStart {
  std::int64_t offset = 0;
  std::string note;  // empty when placed as asked
};
PlacedStart place_start(const StartSpec& spec, std::int64_t earliest, std::int64_t latest, const std::string& what);

}  // namespace krest::cli
