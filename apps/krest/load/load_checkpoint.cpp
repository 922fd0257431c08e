#include "load/load_checkpoint.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cli/usage_error.hpp"

namespace krest::cli {

std::string to_json(const LoadCheckpoint& c) {
  boost::json::array inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i)
    inputs.push_back(boost::json::object{{"path", c.inputs[i]}, {"size", c.sizes[i]}});
  boost::json::object doc{{"version", 1},
                          {"topic", c.topic},
                          {"inputs", std::move(inputs)},
                          {"file", c.next.file},
                          {"line", c.next.line},
                          {"offset", c.next.offset},
                          {"complete", c.complete},
                          {"acknowledged", c.acknowledged},
                          {"rejected", c.rejected}};
  return boost::json::serialize(doc) + "\n";
}

LoadCheckpoint parse_load_checkpoint(const std::string& text, const std::string& path) {
  auto bad = [&](const std::string& why) {
    return UsageError("checkpoint '" + path + "' " + why + " (delete it to start the load afresh)");
  };
  boost::json::error_code ec;
  auto doc = boost::json::parse(text, ec);
  if (ec || !doc.is_object()) throw bad("is not a krest load checkpoint");
  const auto& o = doc.get_object();
  auto number = [&](const char* name) -> std::uint64_t {
    const auto* v = o.if_contains(name);
    if (!v || !v->is_number() || (v->is_int64() && v->get_int64() < 0)) throw bad(std::string("has no valid ") + name);
    return v->is_uint64() ? v->get_uint64() : static_cast<std::uint64_t>(v->to_number<std::int64_t>());
  };
  if (number("version") != 1) throw bad("has an unknown version");
  LoadCheckpoint c;
  const auto* topic = o.if_contains("topic");
  const auto* inputs = o.if_contains("inputs");
  const auto* complete = o.if_contains("complete");
  if (!topic || !topic->is_string() || !inputs || !inputs->is_array() || !complete || !complete->is_bool())
    throw bad("is not a krest load checkpoint");
  c.topic = topic->get_string();
  for (const auto& i : inputs->get_array()) {
    const auto* io = i.if_object();
    const auto* p = io ? io->if_contains("path") : nullptr;
    const auto* s = io ? io->if_contains("size") : nullptr;
    if (!p || !p->is_string() || !s || !s->is_number()) throw bad("has a malformed input");
    c.inputs.emplace_back(p->get_string());
    c.sizes.push_back(s->to_number<std::uint64_t>());
  }
  c.next = {static_cast<std::size_t>(number("file")), number("line"), number("offset")};
  c.complete = complete->get_bool();
  c.acknowledged = number("acknowledged");
  c.rejected = number("rejected");
  if (c.next.file > c.inputs.size()) throw bad("points past its inputs");
  return c;
}

}  // namespace krest::cli
