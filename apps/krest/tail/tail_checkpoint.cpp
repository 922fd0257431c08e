#include "tail/tail_checkpoint.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>

#include "cli/usage_error.hpp"

namespace krest::cli {

std::string to_json(const TailCheckpoint& c) {
  boost::json::object offsets;
  for (const auto& [p, o] : c.next_offsets) offsets[std::to_string(p)] = o;
  boost::json::object doc{{"version", 1}, {"topic", c.topic}, {"next_offsets", std::move(offsets)}};
  if (!c.output.empty()) doc["output"] = c.output;
  if (c.output_bytes) doc["output_bytes"] = *c.output_bytes;
  return boost::json::serialize(doc) + "\n";
}

TailCheckpoint parse_tail_checkpoint(const std::string& text, const std::string& path) {
  auto bad = [&](const std::string& why) {
    return UsageError("checkpoint '" + path + "' " + why + " (delete it, or give another --checkpoint)");
  };
  boost::json::error_code ec;
  auto doc = boost::json::parse(text, ec);
  const auto* o = ec ? nullptr : doc.if_object();
  if (!o) throw bad("is not a krest tail checkpoint");
  const auto* version = o->if_contains("version");
  const auto* topic = o->if_contains("topic");
  const auto* offsets = o->if_contains("next_offsets");
  if (!version || !version->is_int64() || version->get_int64() != 1 || !topic || !topic->is_string() || !offsets ||
      !offsets->is_object())
    throw bad("is not a krest tail checkpoint");
  TailCheckpoint c;
  c.topic = topic->get_string();
  for (const auto& [key, value] : offsets->get_object()) {
    std::int32_t partition = -1;
    auto [end, pec] = std::from_chars(key.data(), key.data() + key.size(), partition);
    if (pec != std::errc() || end != key.data() + key.size() || partition < 0 || !value.is_int64() ||
        value.get_int64() < 0)
      throw bad("has a malformed offset for partition '" + std::string(key) + "'");
    c.next_offsets[partition] = value.get_int64();
  }
  if (const auto* out = o->if_contains("output")) {
    if (!out->is_string()) throw bad("has a malformed output");
    c.output = out->get_string();
  }
  if (const auto* bytes = o->if_contains("output_bytes")) {
    if (!bytes->is_number() || (bytes->is_int64() && bytes->get_int64() < 0)) throw bad("has a malformed output_bytes");
    c.output_bytes = bytes->to_number<std::uint64_t>();
  }
  return c;
}

}  // namespace krest::cli
