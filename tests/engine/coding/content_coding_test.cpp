#include <catch2/catch.hpp>

#include <zstd.h>

#include <memory>
#include <random>

#include "coding/content_coding.hpp"

using namespace krest::coding;

namespace {

std::string json_lines(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i)
    s += R"({"id": )" + std::to_string(i) + R"(, "user": "user-)" + std::to_string(i % 997) +
         R"(", "action": "view", "amount": )" + std::to_string(i * 7 % 10000) + "}\n";
  return s;
}

std::string random_bytes(std::size_t n) {
  std::mt19937 rng(3);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace

TEST_CASE("content codings round trip and shrink JSON", "[unit][coding]") {
  const std::string text = json_lines(2000);
  for (Coding c : {Coding::gzip, Coding::zstd}) {
    CAPTURE(name(c));
    std::string packed, back;
    encode(c, text, 1, packed);
    CHECK(packed.size() * 4 < text.size());
    const auto r = decode(c, packed, text.size(), back);
    CHECK(r.status == DecodeStatus::ok);
    CHECK(back == text);
    // Incompressible bytes still round trip.
    const std::string noise = random_bytes(100000);
    encode(c, noise, 3, packed);
    CHECK(decode(c, packed, noise.size(), back).status == DecodeStatus::ok);
    CHECK(back == noise);
    // Empty.
    encode(c, "", 1, packed);
    CHECK(decode(c, packed, 0, back).status == DecodeStatus::ok);
    CHECK(back.empty());
  }
}

TEST_CASE("content decoding stops at its limit, whatever the compressed size", "[unit][coding]") {
  const std::string zeros(64 << 20, '\0');  // 64 MiB that compress to a few KB
  for (Coding c : {Coding::gzip, Coding::zstd}) {
    CAPTURE(name(c));
    std::string bomb, out;
    encode(c, zeros, 19, bomb);
    CHECK(bomb.size() < 300 * 1024);
    const auto r = decode(c, bomb, 1 << 20, out);
    CHECK(r.status == DecodeStatus::too_large);
    CHECK(out.capacity() <= (2u << 20) + 1);  // never more than about the limit held
    // Exactly at the limit is fine.
    std::string small;
    encode(c, std::string(1000, 'a'), 1, small);
    CHECK(decode(c, small, 1000, out).status == DecodeStatus::ok);
    CHECK(decode(c, small, 999, out).status == DecodeStatus::too_large);
  }
}

TEST_CASE("content decoding refuses corrupt and truncated bodies", "[unit][coding]") {
  const std::string text = json_lines(500);
  for (Coding c : {Coding::gzip, Coding::zstd}) {
    CAPTURE(name(c));
    std::string packed, out;
    encode(c, text, 1, packed);
    CHECK(decode(c, packed.substr(0, packed.size() / 2), 1 << 20, out).status == DecodeStatus::corrupt);
    CHECK(decode(c, "not compressed at all", 1 << 20, out).status == DecodeStatus::corrupt);
    std::string flipped = packed;
    flipped[flipped.size() / 2] ^= 0x5a;
    flipped[flipped.size() - 2] ^= 0x5a;  // the checksums catch what the data does not
    CHECK(decode(c, flipped, 1 << 20, out).status != DecodeStatus::ok);
  }
  // Two gzip members one after the other are one body (RFC 1952).
  std::string a, b, out;
  encode(Coding::gzip, "first,", 1, a);
  encode(Coding::gzip, "second", 1, b);
  CHECK(decode(Coding::gzip, a + b, 100, out).status == DecodeStatus::ok);
  CHECK(out == "first,second");
}

TEST_CASE("zstd bodies decode whether or not their frames declare a size", "[unit][coding]") {
  const std::string text = json_lines(300);
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
  const auto compress = [&](std::string_view in, bool declare) {
    ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, declare ? 1 : 0);
    std::string packed(ZSTD_compressBound(in.size()), '\0');
    const std::size_t n = ZSTD_compress2(cctx.get(), packed.data(), packed.size(), in.data(), in.size());
    REQUIRE_FALSE(ZSTD_isError(n));
    packed.resize(n);
    return packed;
  };
  const std::string sized = compress(text, true), unsized = compress(text, false);
  REQUIRE(ZSTD_getFrameContentSize(sized.data(), sized.size()) == text.size());
  REQUIRE(ZSTD_getFrameContentSize(unsized.data(), unsized.size()) == ZSTD_CONTENTSIZE_UNKNOWN);
  std::string out = "left over from before";
  CHECK(decode(Coding::zstd, sized, text.size(), out).status == DecodeStatus::ok);
  CHECK(out == text);
  CHECK(decode(Coding::zstd, unsized, text.size(), out).status == DecodeStatus::ok);
  CHECK(out == text);
  // Frames one after the other are one body, the first declaring its size or not.
  CHECK(decode(Coding::zstd, sized + unsized, 2 * text.size(), out).status == DecodeStatus::ok);
  CHECK(out == text + text);
  CHECK(decode(Coding::zstd, sized + sized, 2 * text.size(), out).status == DecodeStatus::ok);
  CHECK(out == text + text);
  CHECK(decode(Coding::zstd, sized + sized, 2 * text.size() - 1, out).status == DecodeStatus::too_large);
  CHECK(decode(Coding::zstd, unsized, text.size() - 1, out).status == DecodeStatus::too_large);
  // A body that fails leaves nothing behind for the next one (the context is reused per thread).
  CHECK(decode(Coding::zstd, sized.substr(0, sized.size() - 3), text.size(), out).status == DecodeStatus::corrupt);
  CHECK(decode(Coding::zstd, unsized.substr(0, unsized.size() / 2), text.size(), out).status ==
        DecodeStatus::corrupt);
  CHECK(decode(Coding::zstd, sized, text.size(), out).status == DecodeStatus::ok);
  CHECK(out == text);
  // Trailing bytes after a sized frame are not a frame.
  CHECK(decode(Coding::zstd, sized + "xyz", 2 * text.size(), out).status == DecodeStatus::corrupt);
}

TEST_CASE("Accept-Encoding values choose a coding by quality", "[unit][coding]") {
  const CodingSet both{true, true}, gzip_only{true, false}, none{};
  CHECK(choose("gzip, zstd", both) == Coding::zstd);
  CHECK(choose("gzip;q=1.0, zstd;q=0.5", both) == Coding::gzip);
  CHECK(choose("gzip, deflate, br", both) == Coding::gzip);
  CHECK(choose("zstd", gzip_only) == Coding::identity);
  CHECK(choose("*", both) == Coding::zstd);
  CHECK(choose("*;q=0.1, zstd;q=0", both) == Coding::gzip);
  CHECK(choose("identity", both) == Coding::identity);
  CHECK(choose("", both) == Coding::identity);
  CHECK(choose("GZIP , X-Gzip", both) == Coding::gzip);
  CHECK(choose("zstd;q=2", both) == Coding::identity);  // malformed q: ignored
  CHECK(choose("gzip, zstd", none) == Coding::identity);
  CHECK(parse_accept_encoding("zstd, gzip").zstd);
  CHECK_FALSE(parse_accept_encoding("gzip;q=0").gzip);
  CHECK(CodingSet{true, true}.header_value() == "zstd, gzip");
  CHECK(CodingSet{}.header_value() == "identity");
  CHECK(parse_coding(" x-gzip ") == Coding::gzip);
  CHECK_FALSE(parse_coding("br"));
}
