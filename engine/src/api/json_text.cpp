#include "api/json_text.hpp"

#include <charconv>
#include <cstring>

namespace krest::api {
namespace {

// 1 where the byte must be escaped inside a JSON string.
constexpr auto kNeedsEscape = [] {
  struct Table {
    bool v[256]{};
  } t;
  for (int c = 0; c < 0x20; ++c) t.v[c] = true;
  t.v[static_cast<unsigned char>('"')] = true;
  t.v[static_cast<unsigned char>('\\')] = true;
  return t;
}();

void append_escape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    default: {
      char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(u, sizeof u);
    }
  }
}

// Eight bytes at a time (SWAR): true when the word holds a control character, quote or backslash.
// Bytes >= 0x80 (UTF-8) never match, as they need no escape.
inline bool word_needs_escape(const char* p) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const std::uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  const std::uint64_t quote = (q - ones) & ~q & highs, backslash = (b - ones) & ~b & highs;
  return (below_space | quote | backslash) != 0;
}

}  // namespace

bool needs_json_escape(std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  for (; end - p >= 8; p += 8)
    if (word_needs_escape(p)) return true;
  for (; p < end; ++p)
    if (kNeedsEscape.v[static_cast<unsigned char>(*p)]) return true;
  return false;
}

void append_json_escaped(std::string& out, std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;
  auto escape_byte = [&](const char* at) {
    out.append(run, static_cast<std::size_t>(at - run));
    append_escape(out, static_cast<unsigned char>(*at));
    run = at + 1;
  };
  while (end - p >= 8) {
    if (!word_needs_escape(p)) {
      p += 8;
      continue;
    }
    for (const char* word_end = p + 8; p < word_end; ++p)
      if (kNeedsEscape.v[static_cast<unsigned char>(*p)]) escape_byte(p);
  }
  for (; p < end; ++p)
    if (kNeedsEscape.v[static_cast<unsigned char>(*p)]) escape_byte(p);
  out.append(run, static_cast<std::size_t>(end - run));
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace krest::api
