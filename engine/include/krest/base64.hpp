#pragma once
// The v1 API carries text: keys and values are JSON strings (or JSON values), so bytes that are not
// UTF-8 cannot be sent as they are (Producer::send refuses them). To move binary data, encode it
// (RFC 4648 base64, with padding) before sending and decode it after consuming.
#include <optional>
#include <string>
#include <string_view>

namespace krest {

std::string to_base64(std::string_view bytes);
// None when `text` is not base64 (a character outside the alphabet, bad padding or length).
std::optional<std::string> from_base64(std::string_view text);

}  // namespace krest
