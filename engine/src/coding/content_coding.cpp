#include "coding/content_coding.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <stdexcept>

namespace krest::coding {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The q of one Accept-Encoding element's parameters ("q=0.5"), 1 when absent; -1 when malformed.
double quality(std::string_view params) {
  double q = 1;
  while (!params.empty()) {
    const auto semi = params.find(';');
    auto param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' || param[1] != '=') continue;
    param.remove_prefix(2);
    const auto [end, ec] = std::from_chars(param.data(), param.data() + param.size(), q);
    if (ec != std::errc{} || end != param.data() + param.size() || q < 0 || q > 1) return -1;
  }
  return q;
}

// Decoding grows `out` in steps up to the limit (plus one byte, to tell "exactly the limit" from
// "more").
std::size_t next_size(std::size_t current, std::uint64_t limit) {
  const std::uint64_t cap = limit + 1;
  const std::uint64_t grown = std::max<std::uint64_t>(64 * 1024, current * 2);
  return static_cast<std::size_t>(std::min(grown, cap));
}

DecodeResult inflate_gzip(std::string_view in, std::uint64_t limit, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::bad_alloc();
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  if (in.size() > UINT32_MAX) return {DecodeStatus::corrupt, "gzip body too large to read"};
  std::size_t produced = 0;
  out.clear();
  for (;;) {
    if (produced == out.size()) {
      if (out.size() > limit) return {DecodeStatus::too_large, {}};
      out.resize(next_size(out.size(), limit));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, UINT32_MAX));
    const uInt before = zs.avail_out;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += before - zs.avail_out;
    if (produced > limit) return {DecodeStatus::too_large, {}};
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // RFC 1952: members may follow one another.
      if (inflateReset(&zs) != Z_OK) return {DecodeStatus::corrupt, "gzip: cannot read the next member"};
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return {DecodeStatus::corrupt, "gzip body ends early"};
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return {DecodeStatus::corrupt, std::string("gzip: ") + (zs.msg ? zs.msg : "malformed data")};
  }
  out.resize(produced);
  return {};
}

// Frames that need a window past this are refused: what any zstd level up to 19 writes fits.
constexpr int kZstdWindowLogMax = 24;

// One decompression context per thread, reused: one made per body, with the buffers a stream
// needs, put zstd at 9 % of `krest load`'s CPU time in a profile (its produce answers, 16 KB each,
// come compressed), most of it making contexts and faulting in their buffers.
// Its window limit is set once; each body starts a fresh session (whatever the last one left).
ZSTD_DCtx& zstd_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx = [] {
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> made(ZSTD_createDCtx(), &ZSTD_freeDCtx);
    if (made) ZSTD_DCtx_setParameter(made.get(), ZSTD_d_windowLogMax, kZstdWindowLogMax);
    return made;
  }();
  if (!dctx) throw std::bad_alloc();
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
  return *dctx;
}

DecodeResult decompress_zstd(std::string_view in, std::uint64_t limit, std::string& out) {
  // A frame that declares its size: refused at once when over the limit.
  const auto declared = ZSTD_getFrameContentSize(in.data(), in.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return {DecodeStatus::corrupt, "zstd: not a zstd frame"};
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > limit) return {DecodeStatus::too_large, {}};
  ZSTD_DCtx& dctx = zstd_dctx();
  // One frame that declares its size (as one-shot compressors write them, krest-proxy's and the
  // engine's among them): decoded in one pass straight into a body of that size, with no stream
  // buffers. zstd checks the content against what the frame declared.
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && ZSTD_findFrameCompressedSize(in.data(), in.size()) == in.size()) {
    out.resize(static_cast<std::size_t>(declared));
    const std::size_t n = ZSTD_decompressDCtx(&dctx, out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(n)) return {DecodeStatus::corrupt, std::string("zstd: ") + ZSTD_getErrorName(n)};
    if (n != out.size()) return {DecodeStatus::corrupt, "zstd: the frame holds less than it declares"};
    return {};
  }
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::size_t produced = 0;
  out.clear();
  std::size_t last = 1;  // 0 once a frame is complete and flushed
  while (input.pos < input.size || last != 0) {
    if (produced == out.size()) {
      if (out.size() > limit) return {DecodeStatus::too_large, {}};
      out.resize(next_size(out.size(), limit));
    }
    ZSTD_outBuffer output{out.data(), out.size(), produced};
    const std::size_t in_before = input.pos;
    last = ZSTD_decompressStream(&dctx, &output, &input);
    if (ZSTD_isError(last)) return {DecodeStatus::corrupt, std::string("zstd: ") + ZSTD_getErrorName(last)};
    const bool progressed = output.pos > produced || input.pos > in_before;
    produced = output.pos;
    if (produced > limit) return {DecodeStatus::too_large, {}};
    if (input.pos == input.size && last != 0 && !progressed) return {DecodeStatus::corrupt, "zstd body ends early"};
  }
  out.resize(produced);
  return {};
}

}  // namespace

std::string_view name(Coding c) {
  switch (c) {
    case Coding::gzip: return "gzip";
    case Coding::zstd: return "zstd";
    case Coding::identity: break;
  }
  return "identity";
}

std::optional<Coding> parse_coding(std::string_view token) {
  token = trim(token);
  if (iequals(token, "gzip") || iequals(token, "x-gzip")) return Coding::gzip;
  if (iequals(token, "zstd")) return Coding::zstd;
  if (iequals(token, "identity")) return Coding::identity;
  return std::nullopt;
}

std::string CodingSet::header_value() const {
  if (zstd && gzip) return "zstd, gzip";
  if (zstd) return "zstd";
  if (gzip) return "gzip";
  return "identity";
}

namespace {

// Each element's q for gzip and zstd ("*" standing for those not named); -1: not mentioned.
struct Qualities {
  double gzip = -1, zstd = -1, any = -1;
};

Qualities read_qualities(std::string_view value) {
  Qualities q;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto element = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    const auto semi = element.find(';');
    const auto token = trim(element.substr(0, semi));
    const double quality_value = semi == std::string_view::npos ? 1.0 : quality(element.substr(semi + 1));
    if (quality_value < 0) continue;  // a malformed q: the element is ignored
    if (token == "*")
      q.any = quality_value;
    else if (auto c = parse_coding(token); c == Coding::gzip)
      q.gzip = quality_value;
    else if (c == Coding::zstd)
      q.zstd = quality_value;
  }
  if (q.gzip < 0) q.gzip = q.any;
  if (q.zstd < 0) q.zstd = q.any;
  return q;
}

}  // namespace

CodingSet parse_accept_encoding(std::string_view value) {
  const Qualities q = read_qualities(value);
  return {q.gzip > 0, q.zstd > 0};
}

Coding choose(std::string_view accept_encoding, const CodingSet& allowed) {
  const Qualities q = read_qualities(accept_encoding);
  const double z = allowed.zstd ? q.zstd : -1, g = allowed.gzip ? q.gzip : -1;
  if (z > 0 && z >= g) return Coding::zstd;
  if (g > 0) return Coding::gzip;
  return Coding::identity;
}

void encode(Coding c, std::string_view in, int level, std::string& out) {
  if (c == Coding::identity) {
    out.assign(in);
    return;
  }
  if (c == Coding::zstd) {
    // One compression context per thread, reused: creating one costs more than a small body.
    thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!cctx) throw std::bad_alloc();
    out.resize(ZSTD_compressBound(in.size()));
    const std::size_t n =
        ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), in.data(), in.size(), std::clamp(level, 1, 19));
    if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return;
  }
  z_stream zs{};
  if (deflateInit2(&zs, std::clamp(level, 1, 9), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  std::unique_ptr<z_stream, decltype(&deflateEnd)> guard(&zs, &deflateEnd);
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("gzip: could not compress");
  out.resize(zs.total_out);
}

DecodeResult decode(Coding c, std::string_view in, std::uint64_t limit, std::string& out) {
  switch (c) {
    case Coding::gzip: return inflate_gzip(in, limit, out);
    case Coding::zstd: return decompress_zstd(in, limit, out);
    case Coding::identity: break;
  }
  if (in.size() > limit) return {DecodeStatus::too_large, {}};
  out.assign(in);
  return {};
}

}  // namespace krest::coding
