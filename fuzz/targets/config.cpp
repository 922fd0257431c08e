// krest-proxy's JSON config file (the settings table the CLI's profiles use too).
#include <stdexcept>

#include "config/proxy_config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  krest::proxy::ProxyConfig config;
  try {
    krest::proxy::apply_json_config(config, std::string(fuzz_text(data, size)), "fuzz");
    (void)krest::proxy::validate(config);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
