// Create-topic bodies.
#include "api/topic_spec.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto spec = krest::api::parse_topic_spec(fuzz_text(data, size));
  if (auto* s = std::get_if<krest::api::TopicSpec>(&spec)) (void)krest::api::write_topic_spec(*s);
  return 0;
}
