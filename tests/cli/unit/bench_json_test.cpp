#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "bench/bench_compare.hpp"
#include "bench/bench_json.hpp"
#include "cli/usage_error.hpp"

using namespace krest::cli;

namespace {

// A run of `requests` requests spread over `seconds`, latencies drawn from a long-tailed law;
// every sample also goes into `all` (what one run measuring them all would hold).
BenchResult synthetic_run(std::uint64_t seed, std::int64_t start_ms, double seconds, int requests,
                          LatencyHistogram& all) {
  BenchResult r;
  r.info.mode = "produce";
  r.info.topic = "t";
  r.info.endpoint = "https://127.0.0.1:1";
  r.info.krest_version = "0.1.0";
  r.info.command_line = "krest bench produce -t t";
  r.info.host = "host" + std::to_string(seed);
  r.info.cpu = "cpu x 2";
  r.info.start_unix_ms = start_ms;
  r.info.batch = 10;
  r.info.record_size = 100;
  r.info.in_flight = 4;
  r.info.partitions = 2;
  r.seconds = seconds;
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(7.0, 1.5);
  for (int i = 0; i < requests; ++i) {
    const auto v = static_cast<std::uint64_t>(latency(rng));
    const double at = seconds * i / requests;
    auto& interval = r.timeline.at(at);
    ++interval.requests;
    interval.records += 10;
    interval.latency.record(v);
    r.latency.record(v);
    all.record(v);
    ++r.requests;
    r.records += 10;
    r.bytes += 1000;
  }
  return r;
}

std::string written(const std::string& name, const std::string& text) {
  const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/krest_bench_json_" +
                           std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("bench json: plain decimals, read back whole, consume without a record size", "[unit][cli]") {
  LatencyHistogram all;
  auto run = synthetic_run(1, 1796280000000, 2.5, 5000, all);
  const auto text = bench_json(run);
  INFO(text.substr(0, 400));
  // No exponent anywhere: Boost.JSON's own serializer writes 1.5323013569723712E6.
  CHECK(text.find("E+") == std::string::npos);
  CHECK(text.find("E-") == std::string::npos);
  for (std::size_t at = text.find('E'); at != std::string::npos; at = text.find('E', at + 1))
    CHECK_FALSE((at > 0 && std::isdigit(static_cast<unsigned char>(text[at - 1])) && std::isdigit(static_cast<unsigned char>(text[at + 1]))));
  auto doc = boost::json::parse(text).as_object();
  CHECK(doc.at("settings").as_object().contains("record_size"));
  CHECK(doc.at("intervals").as_array().size() == 25);  // 100 ms intervals

  const auto path = written("one.json", text);
  const auto back = read_bench_json(path);
  CHECK(back.latency.buckets() == run.latency.buckets());
  CHECK(back.latency.sum() == run.latency.sum());
  CHECK(back.latency.max() == run.latency.max());
  CHECK(back.records == run.records);
  CHECK(back.timeline.intervals().size() == run.timeline.intervals().size());
  CHECK(bench_json(back) == text);  // nothing lost either way
  std::remove(path.c_str());

  run.info.mode = "consume";
  run.info.record_size = 0;
  auto consume = boost::json::parse(bench_json(run)).as_object();
  CHECK_FALSE(consume.at("settings").as_object().contains("record_size"));
}

TEST_CASE("bench merge: two runs merged hold exactly the histogram of one run of the same samples", "[unit][cli]") {
  LatencyHistogram all;
  const auto a = synthetic_run(2, 1796280000000, 3.0, 4000, all);
  const auto b = synthetic_run(3, 1796280000500, 3.0, 6000, all);  // started 0.5 s later
  const auto pa = written("a.json", bench_json(a)), pb = written("b.json", bench_json(b));
  const auto merged = merge_results({read_bench_json(pa), read_bench_json(pb)});
  CHECK(merged.latency.buckets() == all.buckets());
  CHECK(merged.latency.count() == 10000);
  CHECK(merged.latency.sum() == all.sum());
  CHECK(merged.latency.quantile(0.99) == all.quantile(0.99));
  CHECK(merged.records == 100000);
  CHECK(merged.info.runs == 2);
  CHECK(merged.info.in_flight == 8);
  CHECK(merged.seconds == Approx(3.5));
  std::uint64_t requests = 0;
  for (const auto& i : merged.timeline.intervals()) requests += i.requests;
  CHECK(requests == 10000);
  // b's first interval lands 0.5 s in: the first five intervals hold a's requests only.
  for (std::size_t i = 0; i < 5; ++i) CHECK(merged.timeline.intervals()[i].requests == a.timeline.intervals()[i].requests);
  std::remove(pa.c_str());
  std::remove(pb.c_str());
}

TEST_CASE("bench timeline: a long run keeps at most 600 intervals and loses no request", "[unit][cli]") {
  BenchTimeline t;
  std::uint64_t n = 0;
  for (double s = 0; s < 3600; s += 0.05, ++n) {
    auto& i = t.at(s);
    ++i.requests;
    i.latency.record(1000);
  }
  CHECK(t.intervals().size() <= BenchTimeline::kMaxIntervals);
  CHECK(t.intervals().size() >= BenchTimeline::kMaxIntervals / 2);
  CHECK(t.width() == Approx(6.4));  // 0.1 s doubled 6 times: 3,600 s in 563 intervals
  std::uint64_t total = 0;
  for (const auto& i : t.intervals()) total += i.requests;
  CHECK(total == n);
}

TEST_CASE("bench compare: repeats of a setting become one column with their spread, overlaps are marked", "[unit][cli]") {
  LatencyHistogram all;
  std::vector<BenchResult> runs;
  runs.push_back(synthetic_run(4, 0, 2.0, 3000, all));
  runs.push_back(synthetic_run(5, 0, 2.1, 3000, all));
  runs.push_back(synthetic_run(6, 0, 2.05, 3000, all));
  runs.back().info.in_flight = 8;  // a different setting
  runs.push_back(synthetic_run(7, 0, 2.02, 3000, all));
  runs.back().info.in_flight = 8;
  const auto groups = group_runs({"a1.json", "a2.json", "b1.json", "b2.json"}, runs);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].runs.size() == 2);
  CHECK(groups[0].label == "a1.json +1");
  const auto table = compare_table(groups);
  INFO(table);
  // records/s: [1] spans 14,286..15,000, [2] 14,851..14,634: they overlap.
  CHECK(table.find("| records/s |") != std::string::npos);
  CHECK(table.find("x ~ |") != std::string::npos);
  CHECK(table.find("within the runs' own spread") != std::string::npos);

  const auto path = written("bad.json", "{\"format\":\"krest-bench/1\",\"mode\":\"produce\"}");
  CHECK_THROWS_AS(read_bench_json(path), UsageError);
  std::remove(path.c_str());
}
