#pragma once
// RFC 4648 §5 base64url without padding, as JWTs and JWKs use it.
#include <optional>
#include <string>
#include <string_view>

namespace krest::auth {

std::string base64url_encode(std::string_view bytes);

// Strict: only the url-safe alphabet, no padding, no whitespace, no non-zero trailing bits
// (so every encoded text has exactly one decoding). Nullopt when the text is not canonical.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace krest::auth
