#pragma once
// The 200 answer to a produce request. (krest) {"offsets":[{"partition":p,"offset":o},...]}, one
// entry per record in request order; HDInsight's body is not this, and a client treats any 200 as
// success whatever the body.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace krest::api {

struct RecordPosition {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  bool operator==(const RecordPosition&) const = default;
};

std::string write_produce_response(const std::vector<RecordPosition>& positions);

// Fills `out` when `body` holds exactly `records` positions in krest's shape; false otherwise
// (another proxy's body, or one that does not match the request).
bool parse_produce_response(std::string_view body, std::size_t records, std::vector<RecordPosition>& out);
// The same through the JSON parser alone, without the fast path for krest-proxy's exact layout
// (which must agree with it: the fuzz target and the tests hold them to that).
bool parse_produce_response_generic(std::string_view body, std::size_t records, std::vector<RecordPosition>& out);

}  // namespace krest::api
