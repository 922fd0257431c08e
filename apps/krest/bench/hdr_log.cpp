#include "bench/hdr_log.hpp"

#include <zlib.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <stdexcept>

#include "krest/base64.hpp"
#include "krest/version.hpp"

namespace krest::cli {
namespace {

// HdrHistogram's layout for 2 significant digits and a lowest discernible value of 1: 256
// sub-buckets (values below 256 exact), each power of two above in 128 steps. Ours (64 steps) fits
// inside: each of our buckets goes to the HdrHistogram bucket of its highest value.
constexpr int kSignificantDigits = 2;
constexpr int kSubBucketHalfCountMagnitude = 7;  // log2(256) - 1
constexpr std::int64_t kSubBucketHalfCount = 128;
constexpr std::int64_t kSubBucketMask = 255;
constexpr std::int64_t kHighestTrackable = std::int64_t{1} << 44;  // our histogram's own limit, ~200 days in us

std::int64_t hdr_index(std::uint64_t value) {
  const int bucket = 64 - std::countl_zero(value | static_cast<std::uint64_t>(kSubBucketMask)) - (kSubBucketHalfCountMagnitude + 1);
  const auto sub_bucket = static_cast<std::int64_t>(value >> bucket);
  return (static_cast<std::int64_t>(bucket + 1) << kSubBucketHalfCountMagnitude) + (sub_bucket - kSubBucketHalfCount);
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void put64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

// ZigZag, then LEB128 (HdrHistogram's 9-byte variant is the same for the values a count can take).
void put_zigzag(std::string& out, std::int64_t v) {
  auto u = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  while (u >= 0x80) {
    out += static_cast<char>((u & 0x7f) | 0x80);
    u >>= 7;
  }
  out += static_cast<char>(u);
}

std::string fixed3(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", v);
  return text;
}

}  // namespace

std::string hdr_compressed_histogram(const LatencyHistogram& h) {
  std::map<std::int64_t, std::uint64_t> counts;  // HdrHistogram index -> count
  for (const auto& [value, count] : h.buckets()) counts[hdr_index(std::max<std::uint64_t>(value, 1))] += count;
  std::string payload;
  std::int64_t next = 0;  // counts are written from index 0, runs of zeros as their negated length
  for (const auto& [index, count] : counts) {
    const std::int64_t zeros = index - next;
    if (zeros == 1) put_zigzag(payload, 0);
    if (zeros > 1) put_zigzag(payload, -zeros);
    put_zigzag(payload, static_cast<std::int64_t>(count));
    next = index + 1;
  }
  std::string plain;
  put32(plain, 0x1c849303 | 0x10);  // V2 encoding cookie, word size bit for ZigZag LEB128
  put32(plain, static_cast<std::uint32_t>(payload.size()));
  put32(plain, 0);  // normalizing index offset
  put32(plain, kSignificantDigits);
  put64(plain, 1);  // lowest discernible value
  put64(plain, static_cast<std::uint64_t>(kHighestTrackable));
  const double ratio = 1.0;  // integer to double value conversion ratio
  std::uint64_t bits;
  std::memcpy(&bits, &ratio, sizeof bits);
  put64(plain, bits);
  plain += payload;

  uLongf size = compressBound(static_cast<uLong>(plain.size()));
  std::string deflated(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(plain.data()),
                static_cast<uLong>(plain.size()), Z_DEFAULT_COMPRESSION) != Z_OK)
    throw std::runtime_error("zlib could not compress a histogram");
  deflated.resize(size);
  std::string out;
  put32(out, 0x1c849304 | 0x10);  // V2 compressed encoding cookie
  put32(out, static_cast<std::uint32_t>(deflated.size()));
  return out + deflated;
}

std::string hdr_interval_log(const BenchResult& r) {
  const double start = static_cast<double>(r.info.start_unix_ms) / 1000.0;
  const std::time_t t = static_cast<std::time_t>(r.info.start_unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a %b %d %H:%M:%S UTC %Y", &tm);
  std::string out = "#[Logged with krest " KREST_VERSION_STRING ": " + r.info.command_line + "]\n";
  out += "#[Histogram log format version 1.3]\n";
  out += "#[StartTime: " + fixed3(start) + " (seconds since epoch), " + date + "]\n";
  out += "#[BaseTime: " + fixed3(start) + " (seconds since epoch)]\n";
  out += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";
  const double width = r.timeline.width();
  for (std::size_t n = 0; n < r.timeline.intervals().size(); ++n) {
    const auto& h = r.timeline.intervals()[n].latency;
    const double begin = static_cast<double>(n) * width;
    const double length = std::max(0.001, std::min(width, r.seconds - begin));
    out += fixed3(begin) + "," + fixed3(length) + "," + fixed3(static_cast<double>(h.max()) / 1000.0) + "," +
           to_base64(hdr_compressed_histogram(h)) + "\n";
  }
  return out;
}

}  // namespace krest::cli
