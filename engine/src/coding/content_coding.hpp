#pragma once
// HTTP content codings (RFC 9110 §8.4): gzip and zstd bodies, both ways, for the engine and
// krest-proxy. Decoding is bounded: it stops with too_large as soon as the decoded body would pass
// its limit, so a small compressed "bomb" costs at most the limit in memory, never more.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace krest::coding {

enum class Coding { identity, gzip, zstd };

std::string_view name(Coding c);
// "gzip" (and its alias "x-gzip"), "zstd", "identity", case-insensitively; nothing for others.
std::optional<Coding> parse_coding(std::string_view token);

// Codings one side accepts, as a set.
struct CodingSet {
  bool gzip = false;
  bool zstd = false;
  bool empty() const { return !gzip && !zstd; }
  bool has(Coding c) const { return c == Coding::identity || (c == Coding::gzip ? gzip : zstd); }
  // "zstd, gzip" (or "identity" when empty): an Accept-Encoding value.
  std::string header_value() const;
};

// The set of codings named acceptable (q > 0) in an Accept-Encoding value ("gzip, zstd;q=0.5",
// "*"), and the one to answer with: the highest q among `allowed`, zstd before gzip on a tie;
// identity when none is.
CodingSet parse_accept_encoding(std::string_view value);
Coding choose(std::string_view accept_encoding, const CodingSet& allowed);

// `in` encoded into `out` (replaced). `level`: zstd 1..19, gzip 1..9 (clamped).
void encode(Coding c, std::string_view in, int level, std::string& out);

enum class DecodeStatus { ok, too_large, corrupt };
struct DecodeResult {
  DecodeStatus status = DecodeStatus::ok;
  std::string message;  // what was wrong, for a corrupt body
};
// `in` decoded into `out` (replaced), at most `limit` bytes of it.
DecodeResult decode(Coding c, std::string_view in, std::uint64_t limit, std::string& out);

}  // namespace krest::coding
