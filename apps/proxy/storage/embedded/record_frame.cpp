#include "storage/embedded/record_frame.hpp"

#include <zlib.h>

#include <cstring>

#include "api/json_text.hpp"

namespace krest::proxy {
namespace {

template <class T>
void put(char* at, T v) {
  std::memcpy(at, &v, sizeof v);  // the formats are little-endian, as every host we build for
}
template <class T>
T get(const char* at) {
  T v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

}  // namespace

std::uint32_t crc32_of(const char* data, std::size_t n) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  return static_cast<std::uint32_t>(crc32_z(crc, reinterpret_cast<const Bytef*>(data), n));
}

FrameBuilder::FrameBuilder(std::string& out) : out_(out) {
  out_.clear();
  out_.resize(kFrameHeaderBytes);
}

void FrameBuilder::add(std::optional<std::string_view> key, std::string_view value) {
  char len[4];
  put<std::int32_t>(len, key ? static_cast<std::int32_t>(key->size()) : -1);
  out_.append(len, 4);
  if (key) out_.append(*key);
  put<std::uint32_t>(len, static_cast<std::uint32_t>(value.size()));
  out_.append(len, 4);
  out_.append(value);
  ++count_;
  if (plain_json_) plain_json_ = !(key && api::needs_json_escape(*key)) && !api::needs_json_escape(value);
}

void FrameBuilder::seal() {
  char* h = out_.data();
  auto payload_len = static_cast<std::uint32_t>(out_.size() - kFrameHeaderBytes);
  put<std::uint32_t>(h, kFrameMagic);
  put<std::uint32_t>(h + 4, payload_len);
  put<std::uint32_t>(h + 24, count_);
  put<std::uint32_t>(h + 28, plain_json_ ? kFramePlainJson : 0);
  put<std::uint32_t>(h + 32, crc32_of(h + kFrameHeaderBytes, payload_len));
}

void stamp_frame(std::string& frame, std::int64_t base_offset, std::int64_t timestamp_ms) {
  char* h = frame.data();
  put<std::int64_t>(h + 8, base_offset);
  put<std::int64_t>(h + 16, timestamp_ms);
  put<std::uint32_t>(h + 36, crc32_of(h, 36));
}

bool other_frame_version(const char* b) {
  const auto magic = get<std::uint32_t>(b);
  return (magic & 0x00ffffffu) == (kFrameMagic & 0x00ffffffu) && magic != kFrameMagic;
}

std::optional<FrameHeader> decode_header(const char* b) {
  if (get<std::uint32_t>(b) != kFrameMagic) return std::nullopt;
  if (get<std::uint32_t>(b + 36) != crc32_of(b, 36)) return std::nullopt;
  FrameHeader h;
  h.payload_len = get<std::uint32_t>(b + 4);
  h.base_offset = get<std::int64_t>(b + 8);
  h.timestamp_ms = get<std::int64_t>(b + 16);
  h.record_count = get<std::uint32_t>(b + 24);
  h.flags = get<std::uint32_t>(b + 28);
  h.payload_crc = get<std::uint32_t>(b + 32);
  return h;
}

bool payload_intact(const FrameHeader& h, const char* payload) {
  if (crc32_of(payload, h.payload_len) != h.payload_crc) return false;
  PayloadReader reader(payload, h.payload_len);
  PayloadReader::Entry e;
  std::uint32_t n = 0;
  while (reader.next(e)) ++n;
  return n == h.record_count;
}

bool PayloadReader::next(Entry& e) {
  if (end_ - p_ < 8) return false;
  e.key_len = get<std::int32_t>(p_);
  p_ += 4;
  if (e.key_len < -1 || (e.key_len > 0 && end_ - p_ < e.key_len + 4)) return false;
  e.key = p_;
  if (e.key_len > 0) p_ += e.key_len;
  if (end_ - p_ < 4) return false;
  e.value_len = get<std::uint32_t>(p_);
  p_ += 4;
  if (static_cast<std::size_t>(end_ - p_) < e.value_len) return false;
  e.value = p_;
  p_ += e.value_len;
  return true;
}

}  // namespace krest::proxy
