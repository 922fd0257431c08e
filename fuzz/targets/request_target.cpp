// Request targets (paths, percent-encoding, query strings) and the typed parameters read from them.
#include "fuzz_input.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"
#include "routes/router.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto m = krest::proxy::match_route(fuzz_text(data, size));
    for (const auto& p : m.params) {
      try {
        (void)krest::proxy::topic_param(p);
      } catch (const krest::proxy::ProxyError&) {
      }
      try {
        (void)krest::proxy::partition_param(p);
      } catch (const krest::proxy::ProxyError&) {
      }
      try {
        (void)krest::proxy::offset_param(p);
      } catch (const krest::proxy::ProxyError&) {
      }
    }
    if (m.has_count) (void)krest::proxy::count_param(m.query_count, 100000);
  } catch (const krest::proxy::ProxyError&) {
  }
  return 0;
}
