#pragma once
// The embedded log's on-disk unit: one frame per produce request and partition.
//
//   header (40 bytes, little-endian):
//     u32 magic "KRB2" | u32 payload_len | i64 base_offset | i64 timestamp_ms | u32 record_count
//     | u32 flags | u32 payload_crc (CRC-32 of the payload) | u32 header_crc (CRC-32 of the 36 bytes before it)
//   payload, per record: i32 key_len (-1: no key) | key | u32 value_len | value
//
// A frame is valid only if both CRCs match, so a write torn by kill -9 or a crash is recognised at
// recovery and cut off; it is never served.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace krest::proxy {

inline constexpr std::size_t kFrameHeaderBytes = 40;
inline constexpr std::uint32_t kFrameMagic = 0x3242524b;  // "KRB2": the layout's version is the last byte
// No key or value of the frame holds a byte that JSON escapes: consume responses copy them as they
// are. Checked once when the frame is built, instead of on every read.
inline constexpr std::uint32_t kFramePlainJson = 1;

struct FrameHeader {
  std::uint32_t payload_len = 0;
  std::int64_t base_offset = 0;
  std::int64_t timestamp_ms = 0;
  std::uint32_t record_count = 0;
  std::uint32_t flags = 0;
  std::uint32_t payload_crc = 0;
};

// Builds a frame in `out`: reserve the header, append records, then seal it.
class FrameBuilder {
 public:
  explicit FrameBuilder(std::string& out);
  void add(std::optional<std::string_view> key, std::string_view value);
  std::uint32_t records() const { return count_; }
  // Computes the payload CRC. The base offset and timestamp are set later, under the log's lock.
  void seal();

 private:
  std::string& out_;
  std::uint32_t count_ = 0;
  bool plain_json_ = true;
};

// Writes base offset, timestamp and header CRC into a sealed frame.
void stamp_frame(std::string& frame, std::int64_t base_offset, std::int64_t timestamp_ms);

// True when the bytes start with "KRB" and another version: a frame of an incompatible layout,
// never to be mistaken for a torn write.
bool other_frame_version(const char* bytes);

// Reads a header; nothing when the magic or header CRC does not match.
std::optional<FrameHeader> decode_header(const char* bytes);
bool payload_intact(const FrameHeader& h, const char* payload);

std::uint32_t crc32_of(const char* data, std::size_t n);

// Walks the records of a payload.
class PayloadReader {
 public:
  PayloadReader(const char* payload, std::size_t len) : p_(payload), end_(payload + len) {}
  struct Entry {
    std::int32_t key_len;  // -1: no key
    const char* key;
    std::uint32_t value_len;
    const char* value;
  };
  // False at the end, or when the payload is malformed.
  bool next(Entry& e);

 private:
  const char* p_;
  const char* end_;
};

}  // namespace krest::proxy
