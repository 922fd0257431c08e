#include "cli/start_offset.hpp"

#include <charconv>
#include <cstdint>

#include "cli/usage_error.hpp"

namespace krest::cli {

StartAt parse_start(const std::string& text, const char* flag) {
  if (text == "earliest") return StartAt::earliest();
  if (text == "latest") return StartAt::latest();
  std::int64_t offset = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), offset);
  if (ec != std::errc() || end != text.data() + text.size() || offset < 0)
    throw UsageError(std::string(flag) + " '" + text + "' is not earliest, latest or an offset");
  return StartAt::at(offset);
}

}  // namespace krest::cli
