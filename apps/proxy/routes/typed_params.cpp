#include <algorithm>
#include <charconv>
#include <limits>

#include "api/topic_name.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {
namespace {

// Plain decimal digits only: no sign, no spaces, no leading '+', within [min, max].
std::int64_t decimal(const std::string& raw, const char* what, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
  bool digits_only = !raw.empty() && raw.find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || ec != std::errc{} || end != raw.data() + raw.size() || v < min || v > max)
    throw ProxyError(ErrorKind::bad_request, std::string(what) + " '" + raw + "' must be an integer from " +
                                                 std::to_string(min) + " to " + std::to_string(max));
  return v;
}

}  // namespace

std::string topic_param(const std::string& raw) {
  if (auto problem = api::check_topic_name(raw)) throw ProxyError(ErrorKind::bad_request, *problem);
  return raw;
}

std::int32_t partition_param(const std::string& raw) {
  return static_cast<std::int32_t>(decimal(raw, "partition", 0, std::numeric_limits<std::int32_t>::max()));
}

std::int64_t offset_param(const std::string& raw) {
  return decimal(raw, "offset", 0, std::numeric_limits<std::int64_t>::max());
}

std::int64_t count_param(const std::string& raw, std::int64_t max) {
  // count is an int32 in the spec. Above the server's limit it is lowered rather than refused, as
  // the 6 MB cap already does: a client written for HDInsight keeps working, it just pages more.
  return std::min(decimal(raw, "count", 1, std::numeric_limits<std::int32_t>::max()), max);
}

}  // namespace krest::proxy
