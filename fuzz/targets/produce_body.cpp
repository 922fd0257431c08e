// Produce request bodies, as krest-proxy reads them from any client.
#include "api/produce_body.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  krest::api::ProduceBody body;
  if (!krest::api::parse_produce_body(fuzz_text(data, size), 1000, body)) {
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
      const auto& r = body.record(i);
      bytes += body.value(r).size() + (r.has_key ? body.key(r).size() : 0);
    }
    (void)bytes;
  }
  return 0;
}
