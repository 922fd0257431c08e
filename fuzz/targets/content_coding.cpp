// Compressed bodies (gzip, zstd) and Accept-Encoding values, as a client or a proxy sends them.
#include <cstdlib>

#include "coding/content_coding.hpp"
#include "fuzz_input.hpp"

using namespace krest::coding;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  // Decoding stays within its limit, whatever the bytes claim.
  constexpr std::uint64_t kLimit = 1 << 20;
  std::string out;
  for (Coding c : {Coding::gzip, Coding::zstd}) {
    const auto r = decode(c, text, kLimit, out);
    if (r.status == DecodeStatus::ok && out.size() > kLimit) std::abort();
  }
  // What is encoded decodes back to itself.
  if (size <= 4096) {
    std::string packed, back;
    for (Coding c : {Coding::gzip, Coding::zstd}) {
      encode(c, text, 1 + static_cast<int>(size % 5), packed);
      if (decode(c, packed, size, back).status != DecodeStatus::ok || back != text) std::abort();
    }
  }
  (void)choose(text, CodingSet{true, true});
  (void)parse_accept_encoding(text);
  (void)parse_coding(text);
  return 0;
}
