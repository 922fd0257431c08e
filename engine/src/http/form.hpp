#pragma once
// application/x-www-form-urlencoded, as OAuth2 token requests use it (RFC 6749 appendix B).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace krest::http {

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// Throws std::invalid_argument on malformed percent-escapes, a repeated name (RFC 6749 §3.1:
// parameters must not be included more than once), or more than `max_fields` parameters.
std::map<std::string, std::string> form_decode(std::string_view body, std::size_t max_fields = SIZE_MAX);

}  // namespace krest::http
