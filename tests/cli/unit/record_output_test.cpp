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
