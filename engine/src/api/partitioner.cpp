#include "api/partitioner.hpp"

namespace krest::api {

std::int32_t murmur2(std::string_view data) {
  // Kafka's Utils.murmur2: 32-bit arithmetic that wraps, so it is done in uint32_t.
  constexpr std::uint32_t seed = 0x9747b28c, m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t length = data.size();
  std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
  for (std::size_t i = 0; i + 4 <= length; i += 4) {
    std::uint32_t k = p[i] | (p[i + 1] << 8) | (p[i + 2] << 16) | (std::uint32_t(p[i + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = length & ~std::size_t{3};
  switch (length % 4) {
    case 3: h ^= std::uint32_t(p[tail + 2]) << 16; [[fallthrough]];
    case 2: h ^= std::uint32_t(p[tail + 1]) << 8; [[fallthrough]];
    case 1: h ^= p[tail]; h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t partition_for_key(std::string_view key, std::int32_t partitions) {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffu) %
                                   static_cast<std::uint32_t>(partitions));
}

}  // namespace krest::api
