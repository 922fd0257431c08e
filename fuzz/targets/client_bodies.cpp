// What the engine reads from a proxy: consume responses, produce responses, metadata, errors.
#include "api/consume_body.hpp"
#include "api/error_body.hpp"
#include "api/metadata_body.hpp"
#include "api/produce_response.hpp"
#include "fuzz_input.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  // The fast path for krest-proxy's own layout must read exactly what the JSON parser reads.
  std::vector<krest::ConsumedRecord> records, generic;
  const auto error = krest::api::parse_consume_body(text, records);
  if (error != krest::api::parse_consume_body_generic(text, generic) || records != generic) abort();
  std::vector<krest::api::RecordPosition> positions, generic_positions;
  const bool read = krest::api::parse_produce_response(text, size % 7, positions);
  if (read != krest::api::parse_produce_response_generic(text, size % 7, generic_positions) ||
      (read && positions != generic_positions))
    abort();
  (void)krest::api::parse_brokers(text);
  (void)krest::api::parse_topic_list(text);
  (void)krest::api::parse_partition(text);
  (void)krest::api::parse_partitions(text);
  (void)krest::api::read_error_message(text);
  return 0;
}
