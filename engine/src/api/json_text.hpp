#pragma once
// Appending JSON text straight into an output buffer. The hot paths (consume responses, produce
// bodies) write records this way instead of building a DOM first.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace krest::api {

// Appends `s` as a quoted JSON string. `s` must be valid UTF-8 (everything krest stores came from a
// validated JSON document); only `"`, `\` and control characters need escaping.
void append_json_string(std::string& out, std::string_view s);

// The same escaping without the surrounding quotes, for text written in parts.
void append_json_escaped(std::string& out, std::string_view s);

// True when `s` holds a byte that JSON escapes (control character, quote, backslash).
bool needs_json_escape(std::string_view s);

// How many bytes at the start of `s` need no escape: the position of the first control character,
// quote or backslash, or s.size(). Reading a JSON string, that is where it ends or gets harder.
std::size_t plain_json_prefix(std::string_view s);
// The same, stopping at a byte >= 0x80 too: a prefix that is plain ASCII needs no UTF-8 check.
std::size_t plain_ascii_json_prefix(std::string_view s);

// Copies `s` to `out` when none of it needs escaping, and returns the end of the copy; nullptr
// when some of it does (having written up to s.size() bytes, which the caller drops).
char* copy_json_plain(char* out, std::string_view s);

void append_int(std::string& out, std::int64_t v);

}  // namespace krest::api
