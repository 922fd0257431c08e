#include <catch2/catch.hpp>

#include "cli/usage_error.hpp"
#include "load/load_checkpoint.hpp"
#include "cli/record_output.hpp"
#include "tail/tail_checkpoint.hpp"

using namespace krest::cli;

namespace {

krest::ConsumedRecord sample() {
  krest::ConsumedRecord r;
  r.partition = 2;
  r.offset = 41;
  r.timestamp_ms = 1700000000123;
  r.key = "k\"1";
  r.value = "line\nbreak";
  return r;
}

std::string render(const std::string& format, const krest::ConsumedRecord& r) {
  std::string out;
  RecordOutput(format).append(out, "orders", r);
  return out;
}

}  // namespace

TEST_CASE("record output: ndjson envelopes escape keys and values", "[unit][cli]") {
  CHECK(render("ndjson", sample()) ==
        R"({"topic":"orders","partition":2,"offset":41,"timestamp":1700000000123,"key":"k\"1","value":"line\nbreak"})"
        "\n");
  auto keyless = sample();
  keyless.key.reset();
  CHECK(render("ndjson", keyless).find(R"("key":null)") != std::string::npos);
  CHECK(render("value", sample()) == "line\nbreak\n");
}

TEST_CASE("record output: kcat-style format strings", "[unit][cli]") {
  CHECK(render("%t/%p@%o %k=%s\\n", sample()) == "orders/2@41 k\"1=line\nbreak\n");
  CHECK(render("%T\\t%K %S 100%%", sample()) == "1700000000123\t3 10 100%");
  auto keyless = sample();
  keyless.key.reset();
  CHECK(render("[%k] %K", keyless) == "[] -1");
  CHECK_THROWS_WITH(RecordOutput("%x"), Catch::Contains("unknown token %x"));
  CHECK_THROWS_WITH(RecordOutput("%s\\q"), Catch::Contains("unknown escape"));
  CHECK_THROWS_WITH(RecordOutput("value%"), Catch::Contains("lone"));
  CHECK_THROWS_WITH(RecordOutput("jsonl"), Catch::Contains("no %-token"));
}

TEST_CASE("checkpoints: what is written reads back, and anything else is refused by name", "[unit][cli]") {
  LoadCheckpoint load{"t", {"a.txt", "b.gz"}, {10, 20}, {1, 7, 99}, false, 5, 1};
  auto back = parse_load_checkpoint(to_json(load), "cp");
  CHECK(back.topic == "t");
  CHECK(back.inputs == load.inputs);
  CHECK(back.sizes == load.sizes);
  CHECK(back.next.file == 1);
  CHECK(back.next.line == 7);
  CHECK(back.next.offset == 99);
  CHECK(back.acknowledged == 5);
  CHECK_THROWS_AS(parse_load_checkpoint("{}", "cp"), UsageError);
  CHECK_THROWS_AS(parse_load_checkpoint("not json", "cp"), UsageError);
  CHECK_THROWS_AS(parse_load_checkpoint(R"({"version":1,"topic":"t","inputs":[],"file":3,"line":0,"offset":0,)"
                                        R"("complete":false,"acknowledged":0,"rejected":0})",
                                        "cp"),
                  UsageError);

  TailCheckpoint tail{"t", {{0, 5}, {3, 12}}, "out.ndjson", 1234};
  auto t = parse_tail_checkpoint(to_json(tail), "cp");
  CHECK(t.next_offsets == tail.next_offsets);
  CHECK(t.output == "out.ndjson");
  CHECK(*t.output_bytes == 1234);
  CHECK_THROWS_AS(parse_tail_checkpoint(R"({"version":1,"topic":"t","next_offsets":{"x":1}})", "cp"), UsageError);
  CHECK_THROWS_AS(parse_tail_checkpoint(R"({"version":1,"topic":"t","next_offsets":{"0":-1}})", "cp"), UsageError);
}

TEST_CASE("ack window: the resume position is the oldest record without a result", "[unit][cli]") {
  AckWindow w;
  auto a = w.add({0, 0, 0}, "a");
  auto b = w.add({0, 1, 2}, "b");
  auto c = w.add({0, 2, 4}, "c");
  CHECK(w.oldest_unresolved()->line == 0);
  w.resolve(b);
  CHECK(w.oldest_unresolved()->line == 0);  // b is done, a is not: a resumed load starts at a
  w.resolve(a);
  CHECK(w.oldest_unresolved()->line == 2);
  CHECK(w.size() == 1);
  w.resolve(c);
  CHECK_FALSE(w.oldest_unresolved());
  CHECK(w.size() == 0);
}

TEST_CASE("ack window: each record keeps its line until resolved, and chunks go once done", "[unit][cli]") {
  AckWindow w;
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i) {
    lines.push_back("line " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'x'));
    seqs.push_back(w.add({0, static_cast<std::uint64_t>(i), 0}, lines.back()));
  }
  // A line longer than a chunk gets one of its own.
  lines.push_back(std::string(200000, 'y'));
  seqs.push_back(w.add({0, 5000, 0}, lines.back()));
  const std::size_t held = w.chunks();
  CHECK(held >= 5);
  // Out of order, as answers come: every other record first, then the rest oldest first.
  for (std::size_t i = 1; i < seqs.size(); i += 2) {
    CHECK(w.line(seqs[i]) == lines[i]);
    w.resolve(seqs[i]);
  }
  CHECK(w.chunks() == held);  // every chunk still holds an unresolved line
  for (std::size_t i = 0; i < seqs.size(); i += 2) {
    CHECK(w.line(seqs[i]) == lines[i]);
    CHECK(w.start(seqs[i]).line == i);
    w.resolve(seqs[i]);
    // Nothing is dropped that an unresolved record still needs.
    if (i + 2 < seqs.size()) {
      CHECK(w.oldest_unresolved()->line == i + 2);
      CHECK(w.line(seqs[i + 2]) == lines[i + 2]);
    }
  }
  // What the resolved ones held goes, but for one chunk kept for the lines to come.
  CHECK(w.chunks() == 1);
  CHECK(w.size() == 0);
  auto z = w.add({1, 0, 0}, "after");
  CHECK(w.line(z) == "after");
  CHECK(w.chunks() == 1);
}
