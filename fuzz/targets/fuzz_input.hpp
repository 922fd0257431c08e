#pragma once
// What every fuzz target starts from: libFuzzer's bytes as text.
#include <cstddef>
#include <cstdint>
#include <string_view>

inline std::string_view fuzz_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
