#pragma once
// UTF-8 checks for text that did not come through a JSON parser: lines read from files by the
// CLI, records written into Kafka by other clients.
#include <string>
#include <string_view>

namespace krest::api {

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool valid_utf8(std::string_view s);

// Appends `s` with every ill-formed sequence replaced by U+FFFD, as a Java client decoding the
// bytes into a String would show them.
void append_utf8_replacing(std::string& out, std::string_view s);

}  // namespace krest::api
