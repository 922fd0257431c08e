#include "cli/start_offset.hpp"

#include <algorithm>
#include <charconv>

#include "cli/usage_error.hpp"

namespace krest::cli {

StartAt StartSpec::as_start_at() const {
  switch (kind) {
    case Kind::earliest: return StartAt::earliest();
    case Kind::latest: return StartAt::latest();
    case Kind::offset: return StartAt::at(n);
    case Kind::before_end: break;
  }
  return StartAt::latest();
}

StartSpec parse_start(const std::string& text, const char* flag) {
  if (text == "earliest" || text == "beginning") return {StartSpec::Kind::earliest, 0};
  if (text == "latest" || text == "end") return {StartSpec::Kind::latest, 0};
  const bool before_end = !text.empty() && text.front() == '-';
  const std::string_view digits = before_end ? std::string_view(text).substr(1) : std::string_view(text);
  std::int64_t n = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 0)
    throw UsageError(std::string(flag) + " '" + text +
                     "' is not beginning, end, earliest, latest, an offset, or -N (N before the end)");
  return {before_end ? StartSpec::Kind::before_end : StartSpec::Kind::offset, n};
}

PlacedStart place_start(const StartSpec& spec, std::int64_t earliest, std::int64_t latest, const std::string& what) {
  switch (spec.kind) {
    case StartSpec::Kind::earliest: return {earliest, {}};
    case StartSpec::Kind::latest: return {latest, {}};
    case StartSpec::Kind::before_end: return {std::max(earliest, latest - spec.n), {}};
    case StartSpec::Kind::offset: break;
  }
  if (spec.n > latest)
    return {latest, "offset " + std::to_string(spec.n) + " is past the end of " + what + " (its next offset is " +
                        std::to_string(latest) + ")"};
  if (spec.n < earliest)
    return {earliest, "offset " + std::to_string(spec.n) + " is before the start of " + what +
                          " (retention removed it; its first offset is " + std::to_string(earliest) + ")"};
  return {spec.n, {}};
}

}  // namespace krest::cli
