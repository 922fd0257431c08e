#include "bench/bench_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <fstream>
#include <sstream>

#include "cli/plain_json.hpp"
#include "cli/usage_error.hpp"

namespace json = boost::json;

namespace krest::cli {
namespace {

constexpr const char* kFormat = "krest-bench/1";

double rounded(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

double ms(std::uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

json::object percentiles(const LatencyHistogram& h) {
  json::object o;
  for (std::size_t i = 0; i < 5; ++i) o[std::string(kQuantileNames[i]) + "_ms"] = ms(h.quantile(kQuantiles[i]));
  o["mean_ms"] = rounded(h.mean() / 1000.0, 3);
  return o;
}

json::object histogram(const LatencyHistogram& h) {
  json::array buckets;
  for (const auto& [value, count] : h.buckets()) buckets.push_back(json::array{value, count});
  return json::object{{"unit", "us"}, {"count", h.count()}, {"sum", h.sum()}, {"max", h.max()}, {"buckets", std::move(buckets)}};
}

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }

// Reading back: every field checked, the path and the field named when one is wrong.
struct Reader {
  const std::string& path;

  [[noreturn]] void bad(const std::string& what) const {
    throw UsageError("'" + path + "' is not a krest bench --json result: " + what);
  }
  const json::value& field(const json::object& o, const char* name) const {
    const auto* v = o.if_contains(name);
    if (!v) bad(std::string("no \"") + name + "\"");
    return *v;
  }
  const json::object& object(const json::object& o, const char* name) const {
    const auto& v = field(o, name);
    if (!v.is_object()) bad(std::string("\"") + name + "\" is not an object");
    return v.get_object();
  }
  const json::array& array(const json::object& o, const char* name) const {
    const auto& v = field(o, name);
    if (!v.is_array()) bad(std::string("\"") + name + "\" is not an array");
    return v.get_array();
  }
  std::string text(const json::object& o, const char* name) const {
    const auto& v = field(o, name);
    if (!v.is_string()) bad(std::string("\"") + name + "\" is not a string");
    return std::string(v.get_string());
  }
  double number(const json::value& v, const char* name) const {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    bad(std::string("\"") + name + "\" is not a number");
  }
  double number(const json::object& o, const char* name) const { return number(field(o, name), name); }
  std::uint64_t count(const json::value& v, const char* name) const {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    bad(std::string("\"") + name + "\" is not a whole number >= 0");
  }
  std::uint64_t count(const json::object& o, const char* name) const { return count(field(o, name), name); }

  LatencyHistogram histogram(const json::object& o) const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets;
    for (const auto& b : array(o, "buckets")) {
      if (!b.is_array() || b.get_array().size() != 2) bad("a histogram bucket is not [value, count]");
      buckets.emplace_back(count(b.get_array()[0], "bucket value"), count(b.get_array()[1], "bucket count"));
    }
    auto h = LatencyHistogram::restore(buckets, count(o, "sum"), count(o, "max"));
    if (h.count() != count(o, "count")) bad("a histogram's buckets do not add up to its count");
    return h;
  }
};

}  // namespace

std::string bench_json(const BenchResult& r) { return plain_json(bench_json_object(r)); }

json::object bench_json_object(const BenchResult& r) {
  const auto& i = r.info;
  json::object settings{{"records_per_request", i.batch}, {"in_flight", i.in_flight}, {"target_rate", i.rate}};
  if (i.record_size > 0) settings["record_size"] = i.record_size;
  if (i.record_size_max > 0) settings["record_size_max"] = i.record_size_max;
  if (i.keys > 0) settings["keys"] = i.keys;
  if (!i.ratio.empty()) settings["ratio"] = i.ratio;
  if (i.poll_max_ms > 0) settings["poll_max_ms"] = i.poll_max_ms;
  json::array intervals;
  const double width = r.timeline.width();
  for (std::size_t n = 0; n < r.timeline.intervals().size(); ++n) {
    const auto& in = r.timeline.intervals()[n];
    // The last interval is cut short by the end of the run: its rate is over what it lasted.
    const double length = std::min(width, r.seconds - static_cast<double>(n) * width);
    json::object o{{"t_s", rounded(static_cast<double>(n) * width, 3)},
                   {"records", in.records},
                   {"requests", in.requests},
                   {"failed", in.failed},
                   {"records_per_second", rounded(per_second(in.records, length), 1)},
                   {"latency", percentiles(in.latency)},
                   {"histogram", histogram(in.latency)}};
    intervals.push_back(std::move(o));
  }
  json::array errors;
  for (const auto& e : r.errors) errors.emplace_back(e);
  json::object doc{{"format", kFormat},
                   {"mode", i.mode},
                   {"topic", i.topic},
                   {"endpoint", i.endpoint},
                   {"krest_version", i.krest_version},
                   {"command_line", i.command_line},
                   {"host", i.host},
                   {"cpu", i.cpu},
                   {"start_unix_ms", i.start_unix_ms},
                   {"runs", i.runs},
                   {"partitions", i.partitions},
                   {"settings", std::move(settings)},
                   {"seconds", rounded(r.seconds, 3)},
                   {"requests", r.requests},
                   {"failed", r.failed},
                   {"records", r.records},
                   {"bytes", r.bytes},
                   {"records_per_second", rounded(per_second(r.records, r.seconds), 1)},
                   {"mb_per_second", rounded(per_second(r.bytes, r.seconds) / 1e6, 3)},
                   {"requests_per_second", rounded(per_second(r.requests - r.failed, r.seconds), 1)},
                   {"latency", percentiles(r.latency)},
                   {"histogram", histogram(r.latency)},
                   {"interval_s", rounded(width, 3)},
                   {"intervals", std::move(intervals)},
                   {"errors", std::move(errors)}};
  if (i.mode == "end-to-end") {
    doc["records_produced"] = r.produced;
    doc["records_missing"] = r.missing;
  }
  return doc;
}

BenchResult read_bench_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return parse_bench_json(text.str(), path);
}

BenchResult parse_bench_json(std::string_view text, const std::string& path) {
  Reader rd{path};
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec) rd.bad("not JSON (" + ec.message() + ")");
  if (!doc.is_object()) rd.bad("not a JSON object");
  const auto& o = doc.get_object();
  if (rd.text(o, "format") != kFormat) rd.bad("format is not " + std::string(kFormat));
  BenchResult r;
  auto& i = r.info;
  i.mode = rd.text(o, "mode");
  i.topic = rd.text(o, "topic");
  i.endpoint = rd.text(o, "endpoint");
  i.krest_version = rd.text(o, "krest_version");
  i.command_line = rd.text(o, "command_line");
  i.host = rd.text(o, "host");
  i.cpu = rd.text(o, "cpu");
  i.start_unix_ms = static_cast<std::int64_t>(std::min<std::uint64_t>(rd.count(o, "start_unix_ms"), INT64_MAX / 2));
  i.runs = static_cast<std::int64_t>(rd.count(o, "runs"));
  i.partitions = static_cast<std::int32_t>(rd.count(o, "partitions"));
  const auto& settings = rd.object(o, "settings");
  i.batch = static_cast<std::int64_t>(rd.count(settings, "records_per_request"));
  i.in_flight = static_cast<std::int64_t>(rd.count(settings, "in_flight"));
  i.rate = rd.number(settings, "target_rate");
  if (!(i.rate >= 0 && i.rate <= 1e12)) rd.bad("\"target_rate\" is not a rate");
  auto optional_count = [&](const json::object& from, const char* name) -> std::int64_t {
    return from.contains(name) ? static_cast<std::int64_t>(std::min<std::uint64_t>(rd.count(from, name), INT64_MAX / 2)) : 0;
  };
  i.record_size = optional_count(settings, "record_size");
  i.record_size_max = optional_count(settings, "record_size_max");
  i.keys = optional_count(settings, "keys");
  i.poll_max_ms = optional_count(settings, "poll_max_ms");
  if (settings.contains("ratio")) i.ratio = rd.text(settings, "ratio");
  r.produced = static_cast<std::uint64_t>(optional_count(o, "records_produced"));
  r.missing = static_cast<std::uint64_t>(optional_count(o, "records_missing"));
  r.seconds = rd.number(o, "seconds");
  if (!(r.seconds >= 0 && r.seconds <= 1e9)) rd.bad("\"seconds\" is not a duration");
  r.requests = rd.count(o, "requests");
  r.failed = rd.count(o, "failed");
  r.records = rd.count(o, "records");
  r.bytes = rd.count(o, "bytes");
  r.latency = rd.histogram(rd.object(o, "histogram"));
  std::vector<BenchInterval> intervals;
  const double width = rd.number(o, "interval_s");
  if (!(width >= 0.001 && width <= 1e9)) rd.bad("\"interval_s\" is not an interval's length");
  if (rd.array(o, "intervals").size() > BenchTimeline::kMaxIntervals)
    rd.bad("more than " + std::to_string(BenchTimeline::kMaxIntervals) + " intervals (krest writes at most that)");
  for (const auto& v : rd.array(o, "intervals")) {
    if (!v.is_object()) rd.bad("an interval is not an object");
    const auto& io = v.get_object();
    BenchInterval interval;
    interval.records = rd.count(io, "records");
    interval.requests = rd.count(io, "requests");
    interval.failed = rd.count(io, "failed");
    interval.latency = rd.histogram(rd.object(io, "histogram"));
    intervals.push_back(std::move(interval));
  }
  r.timeline = BenchTimeline::restore(width, std::move(intervals));
  for (const auto& e : rd.array(o, "errors"))
    if (e.is_string()) r.errors.emplace_back(e.get_string());
  return r;
}

BenchResult merge_results(const std::vector<BenchResult>& runs) {
  BenchResult out;
  if (runs.empty()) return out;
  std::int64_t first_start = runs.front().info.start_unix_ms;
  for (const auto& r : runs) first_start = std::min(first_start, r.info.start_unix_ms);
  out.info = runs.front().info;
  out.info.start_unix_ms = first_start;
  out.info.runs = 0;
  out.info.in_flight = 0;
  out.info.rate = 0;
  std::vector<std::string> modes, hosts;
  double end = 0;
  for (const auto& r : runs) {
    const auto& i = r.info;
    if (std::find(modes.begin(), modes.end(), i.mode) == modes.end()) modes.push_back(i.mode);
    if (std::find(hosts.begin(), hosts.end(), i.host) == hosts.end()) hosts.push_back(i.host);
    out.info.runs += i.runs;
    out.info.in_flight += i.in_flight;
    out.info.rate += i.rate;
    const double offset = static_cast<double>(i.start_unix_ms - first_start) / 1000.0;
    end = std::max(end, offset + r.seconds);
    out.requests += r.requests;
    out.failed += r.failed;
    out.records += r.records;
    out.bytes += r.bytes;
    out.produced += r.produced;
    out.missing += r.missing;
    out.latency.merge(r.latency);
    out.timeline.merge(r.timeline, offset);
    for (const auto& e : r.errors)
      if (out.errors.size() < 5) out.errors.push_back(i.host + ": " + e);
  }
  out.seconds = end;
  out.info.mode.clear();
  for (const auto& m : modes) out.info.mode += (out.info.mode.empty() ? "" : "+") + m;
  out.info.host.clear();
  for (const auto& h : hosts) out.info.host += (out.info.host.empty() ? "" : ", ") + h;
  if (runs.size() > 1) out.info.command_line = "krest bench merge of " + std::to_string(runs.size()) + " results";
  return out;
}

}  // namespace krest::cli
