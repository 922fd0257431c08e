#include "api/json_text.hpp"

#include <charconv>
#include <cstddef>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
// Sixteen bytes at a time (SSE2, in every x86-64): true when the block holds a control character,
// quote or backslash. Bytes >= 0x80 (UTF-8) never match, as they need no escape.
constexpr std::ptrdiff_t kBlock = 16;
inline bool block_needs_escape(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);  // unsigned v <= 0x1f
  return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) != 0;
}
// The same, and true for a byte >= 0x80 too.
inline bool block_not_plain_ascii(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return block_needs_escape(p) || _mm_movemask_epi8(v) != 0;
}
// Copies the block to `out` unless it needs an escape: one load serves the test and the copy.
inline bool copy_plain_block(const char* p, char* out) {
  if (block_needs_escape(p)) return false;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return true;
}
#else
// Eight bytes at a time (SWAR), the same tests.
constexpr std::ptrdiff_t kBlock = 8;
inline bool block_needs_escape(const char* p) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const std::uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  const std::uint64_t quote = (q - ones) & ~q & highs, backslash = (b - ones) & ~b & highs;
  return (below_space | quote | backslash) != 0;
}
inline bool block_not_plain_ascii(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return block_needs_escape(p) || (w & 0x8080808080808080ULL) != 0;
}
inline bool copy_plain_block(const char* p, char* out) {
  if (block_needs_escape(p)) return false;
  std::memcpy(out, p, 8);
  return true;
}
#endif

}  // namespace

std::size_t plain_json_prefix(std::string_view s) {
  const char* const begin = s.data();
  const char* p = begin;
  const char* const end = p + s.size();
  while (end - p >= kBlock && !block_needs_escape(p)) p += kBlock;
  while (p < end && !kNeedsEscape.v[static_cast<unsigned char>(*p)]) ++p;
  return static_cast<std::size_t>(p - begin);
}

bool needs_json_escape(std::string_view s) { return plain_json_prefix(s) != s.size(); }

// Scans and copies in one pass, block by block; the last part block is done as a whole block that
// overlaps the one before it, so that a 100-byte value takes 7 blocks and no byte loop.
char* copy_json_plain(char* out, std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  if (end - p < kBlock) {
    for (; p < end; ++p) {
      if (kNeedsEscape.v[static_cast<unsigned char>(*p)]) return nullptr;
      *out++ = *p;
    }
    return out;
  }
  for (; end - p >= kBlock; p += kBlock, out += kBlock)
    if (!copy_plain_block(p, out)) return nullptr;
  if (p == end) return out;
  const std::ptrdiff_t back = kBlock - (end - p);
  if (!copy_plain_block(p - back, out - back)) return nullptr;
  return out + (end - p);
}

std::size_t plain_ascii_json_prefix(std::string_view s) {
  const char* const begin = s.data();
  const char* p = begin;
  const char* const end = p + s.size();
  while (end - p >= kBlock && !block_not_plain_ascii(p)) p += kBlock;
  while (p < end && static_cast<unsigned char>(*p) < 0x80 && !kNeedsEscape.v[static_cast<unsigned char>(*p)]) ++p;
  return static_cast<std::size_t>(p - begin);
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
  while (end - p >= kBlock) {
    if (!block_needs_escape(p)) {
      p += kBlock;
      continue;
    }
    for (const char* block_end = p + kBlock; p < block_end; ++p)
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
