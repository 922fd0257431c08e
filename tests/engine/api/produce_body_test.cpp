#include <catch2/catch.hpp>

#include <random>

#include "api/json_text.hpp"
#include "api/produce_body.hpp"
#include "api/produce_response.hpp"

using krest::api::parse_produce_body;
using krest::api::ProduceBody;
using krest::api::ProduceParseError;

namespace {

ProduceBody parse_ok(std::string_view body) {
  ProduceBody out;
  auto err = parse_produce_body(body, 1000, out);
  INFO(body);
  REQUIRE_FALSE(err);
  return out;
}

std::string parse_error(std::string_view body, std::size_t max_records = 1000) {
  ProduceBody out;
  auto err = parse_produce_body(body, max_records, out);
  INFO(body);
  REQUIRE(err);
  return err->message;
}

}  // namespace

TEST_CASE("produce body: string values are stored as their characters", "[unit][api]") {
  auto b = parse_ok(R"({"records":[{"key":"key1","value":"hello \"world\" \u00e9\n"}]})");
  REQUIRE(b.size() == 1);
  CHECK(b.record(0).has_key);
  CHECK(b.key(b.record(0)) == "key1");
  CHECK(b.value(b.record(0)) == "hello \"world\" \xc3\xa9\n");
  CHECK_FALSE(b.record(0).partition);
}

TEST_CASE("produce body: other JSON values are stored as compact text with numbers exactly as written", "[unit][api]") {
  auto b = parse_ok(R"({"records":[
      {"value": 5, "partition": 0},
      {"value": 3.14},
      {"value": -0.5e10},
      {"value": 12345678901234567890123},
      {"value": true}, {"value": false}, {"value": null},
      {"value": { "a b" : [1, 2, {"x": null}], "s": "q\"uote", "e": {} , "n": []}},
      {"value": [ {"k": 1}, "two", 3.0 ]},
      {"key": {"id": 7}, "value": "v"}
  ]})");
  REQUIRE(b.size() == 10);
  CHECK(b.value(b.record(0)) == "5");
  CHECK(*b.record(0).partition == 0);
  CHECK(b.value(b.record(1)) == "3.14");
  CHECK(b.value(b.record(2)) == "-0.5e10");
  CHECK(b.value(b.record(3)) == "12345678901234567890123");
  CHECK(b.value(b.record(4)) == "true");
  CHECK(b.value(b.record(5)) == "false");
  CHECK(b.value(b.record(6)) == "null");
  CHECK(b.value(b.record(7)) == R"({"a b":[1,2,{"x":null}],"s":"q\"uote","e":{},"n":[]})");
  CHECK(b.value(b.record(8)) == R"([{"k":1},"two",3.0])");
  CHECK(b.key(b.record(9)) == R"({"id":7})");
  CHECK(b.value(b.record(9)) == "v");
}

TEST_CASE("produce body: a null key is no key and a null partition is no partition", "[unit][api]") {
  auto b = parse_ok(R"({"records":[{"key":null,"partition":null,"value":"x"},{"value":""}]})");
  CHECK_FALSE(b.record(0).has_key);
  CHECK_FALSE(b.record(0).partition);
  CHECK(b.value(b.record(1)).empty());
}

TEST_CASE("produce body: an empty records array is valid", "[unit][api]") {
  CHECK(parse_ok(R"({"records":[]})").size() == 0);
}

TEST_CASE("produce body: malformed input is rejected with a message naming the problem", "[unit][api]") {
  CHECK_THAT(parse_error(""), Catch::Contains("empty"));
  CHECK_THAT(parse_error("{"), Catch::Contains("ends early"));
  CHECK_THAT(parse_error("{\"records\":[}"), Catch::Contains("malformed JSON"));
  CHECK_THAT(parse_error("[]"), Catch::Contains("must be a JSON object"));
  CHECK_THAT(parse_error("\"text\""), Catch::Contains("must be a JSON object"));
  CHECK_THAT(parse_error("{}"), Catch::Contains("missing field 'records'"));
  CHECK_THAT(parse_error(R"({"records":{}})"), Catch::Contains("records must be an array"));
  CHECK_THAT(parse_error(R"({"records":5})"), Catch::Contains("records must be an array"));
  CHECK_THAT(parse_error(R"({"records":[5]})"), Catch::Contains("records[0] must be an object"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1},[]]})"), Catch::Contains("records[1] must be an object"));
  CHECK_THAT(parse_error(R"({"records":[{"key":"k"}]})"),
             Catch::Contains("records[0] is missing the required field 'value'"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"vaule":2}]})"),
             Catch::Contains("unknown field 'records[0].vaule'"));
  CHECK_THAT(parse_error(R"({"records":[],"extra":1})"), Catch::Contains("unknown field 'extra'"));
  CHECK_THAT(parse_error(R"({"records":[],"records":[]})"), Catch::Contains("duplicate field 'records'"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"value":2}]})"),
             Catch::Contains("duplicate field 'records[0].value'"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1}]} x)"), Catch::Contains("malformed JSON"));
}

TEST_CASE("produce body: partition must be an int32 integer", "[unit][api]") {
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"partition":-1}]})"), Catch::Contains("records[0].partition"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"partition":2147483648}]})"), Catch::Contains("0 to 2147483647"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"partition":99999999999999999999}]})"),
             Catch::Contains("records[0].partition"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"partition":1.5}]})"), Catch::Contains("must be an integer"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"partition":"0"}]})"), Catch::Contains("must be an integer"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"partition":true}]})"), Catch::Contains("must be an integer"));
  CHECK_THAT(parse_error(R"({"records":[{"value":1,"partition":[0]}]})"), Catch::Contains("must be an integer"));
  CHECK(*parse_ok(R"({"records":[{"value":1,"partition":2147483647}]})").record(0).partition == 2147483647);
}

TEST_CASE("produce body: invalid UTF-8 is rejected", "[unit][api]") {
  CHECK_THAT(parse_error("{\"records\":[{\"value\":\"\xff\xfe\"}]}"), Catch::Contains("malformed JSON"));
  CHECK_THAT(parse_error("{\"records\":[{\"value\":{\"\xc3\":1}}]}"), Catch::Contains("malformed JSON"));
}

TEST_CASE("produce body: the records limit is enforced while parsing", "[unit][api]") {
  ProduceBody out;
  auto err = parse_produce_body(R"({"records":[{"value":1},{"value":2},{"value":3}]})", 2, out);
  REQUIRE(err);
  CHECK(err->kind == ProduceParseError::Kind::too_many_records);
  CHECK_THAT(err->message, Catch::Contains("limit is 2"));
}

TEST_CASE("produce body: the writer's output parses back to the same records", "[unit][api]") {
  std::string body;
  krest::api::ProduceBodyWriter w(body);
  w.add_string_record("k\"1", "line with \t tab", 2);
  w.add_string_record(std::nullopt, "");
  w.add_json_record(R"({"id":1})", R"([1,2])");
  w.finish();
  auto b = parse_ok(body);
  REQUIRE(b.size() == 3);
  CHECK(b.key(b.record(0)) == "k\"1");
  CHECK(b.value(b.record(0)) == "line with \t tab");
  CHECK(*b.record(0).partition == 2);
  CHECK_FALSE(b.record(1).has_key);
  CHECK(b.key(b.record(2)) == R"({"id":1})");
  CHECK(b.value(b.record(2)) == "[1,2]");
}

TEST_CASE("produce body: records with and without escapes, keys and partitions round-trip", "[unit][api]") {
  std::mt19937 rng(5);
  // Whole characters, so that every string is valid UTF-8 as the writer requires.
  const std::vector<std::string> pieces = {"a", "b", "c", " ", "\"", "\\", std::string(1, '\x01'), "\n", "\xc3\xa9"};
  auto text = [&](bool escapes) {
    std::string s;
    for (std::size_t n = rng() % 40; n > 0; --n)
      s += escapes ? pieces[rng() % pieces.size()] : std::string(1, static_cast<char>('a' + rng() % 26));
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    struct Want {
      std::optional<std::string> key;
      std::string value;
      std::optional<std::int32_t> partition;
    };
    std::vector<Want> want(rng() % 5 + 1);
    std::string body;
    krest::api::ProduceBodyWriter w(body);
    for (auto& r : want) {
      if (rng() % 2) r.key = text(rng() % 3 == 0);
      r.value = text(rng() % 3 == 0);
      if (rng() % 2) r.partition = static_cast<std::int32_t>(rng() % 2 ? rng() % 10 : 2147483647);
      w.add_string_record(r.key, r.value, r.partition);
    }
    w.finish();
    INFO("case " << i << ": " << body);
    auto b = parse_ok(body);
    REQUIRE(b.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
      REQUIRE(b.record(k).has_key == want[k].key.has_value());
      if (want[k].key) REQUIRE(b.key(b.record(k)) == *want[k].key);
      REQUIRE(b.value(b.record(k)) == want[k].value);
      REQUIRE(b.record(k).partition == want[k].partition);
    }
  }
}

TEST_CASE("copy_json_plain: every length, and a byte to escape at every place, block edges included", "[unit][api]") {
  const std::string escapes[] = {"\"", "\\", std::string(1, '\0'), "\x1f"};
  for (std::size_t n = 0; n <= 70; ++n) {
    std::string plain;
    for (std::size_t i = 0; i < n; ++i) plain += static_cast<char>(i % 3 == 0 ? '\xc3' : 'a' + i % 26);
    std::string out(n + 16, '#');
    char* end = krest::api::copy_json_plain(out.data(), plain);
    INFO("length " << n);
    REQUIRE(end == out.data() + n);
    CHECK(out.substr(0, n) == plain);
    CHECK(out.substr(n) == std::string(16, '#'));  // nothing written past the copy
    for (std::size_t at = 0; at < n; ++at)
      for (const auto& e : escapes) {
        std::string bad = plain;
        bad[at] = e[0];
        INFO("escape " << static_cast<int>(e[0]) << " at " << at);
        CHECK(krest::api::copy_json_plain(out.data(), bad) == nullptr);
      }
  }
}

TEST_CASE("produce response: positions read back, other shapes refused", "[unit][api]") {
  std::vector<krest::api::RecordPosition> in{{0, 5}, {3, 1234567890123}}, out;
  REQUIRE(krest::api::parse_produce_response(krest::api::write_produce_response(in), 2, out));
  REQUIRE(out.size() == 2);
  CHECK(out[1].partition == 3);
  CHECK(out[1].offset == 1234567890123);
  CHECK_FALSE(krest::api::parse_produce_response(krest::api::write_produce_response(in), 3, out));  // count
  CHECK_FALSE(krest::api::parse_produce_response("\"ok\"", 0, out));  // another proxy's body
  CHECK_FALSE(krest::api::parse_produce_response(R"({"offsets":[{"partition":0}]})", 1, out));
  CHECK_FALSE(krest::api::parse_produce_response(R"({"offsets":[{"partition":-1,"offset":0}]})", 1, out));
  CHECK_FALSE(krest::api::parse_produce_response(R"({"offsets":[{"partition":0,"offset":0,"x":[]}]})", 1, out));
  CHECK(krest::api::parse_produce_response(R"({"note":"x","offsets":[{"offset":7,"partition":1}]})", 1, out));
}

TEST_CASE("produce response: the exact fast path and the general reader agree", "[unit][api]") {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 3000; ++i) {
    std::vector<krest::api::RecordPosition> in(rng() % 6), fast, generic;
    for (auto& p : in) {
      p.partition = static_cast<std::int32_t>(rng() % 3 == 0 ? rng() % 2147483648ULL : rng() % 4);
      p.offset = static_cast<std::int64_t>(rng() % 3 == 0 ? rng() >> 1 : rng() % 1000);  // up to 19 digits
    }
    std::string body = krest::api::write_produce_response(in);
    if (i % 2) {  // a byte changed, inserted or removed
      const std::size_t at = rng() % body.size();
      const char c = "0123456789-,:{}[]\" x9"[rng() % 19];
      switch (rng() % 3) {
        case 0: body[at] = c; break;
        case 1: body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: body.erase(at, 1);
      }
    }
    INFO(body);
    const bool read = krest::api::parse_produce_response(body, in.size(), fast);
    REQUIRE(read == krest::api::parse_produce_response_generic(body, in.size(), generic));
    if (read) REQUIRE(fast == generic);
    if (i % 2 == 0) REQUIRE((read && fast == in));
  }
  std::vector<krest::api::RecordPosition> out;
  // Same content, other spacing and order: only the general reader can take it.
  REQUIRE(krest::api::parse_produce_response(R"({ "offsets" : [ {"offset":2, "partition":1} ] })", 1, out));
  CHECK(out[0].partition == 1);
  CHECK(out[0].offset == 2);
  CHECK_FALSE(krest::api::parse_produce_response(R"({"offsets":[{"partition":1,"offset":2}]}x)", 1, out));
  CHECK_FALSE(krest::api::parse_produce_response(R"({"offsets":[{"partition":1,"offset":-2}]})", 1, out));
  CHECK_FALSE(krest::api::parse_produce_response(R"({"offsets":[{"partition":99999999999,"offset":2}]})", 1, out));
}
