#include <catch2/catch.hpp>

#include <cstdio>
#include <random>

#include "api/consume_body.hpp"
#include "api/error_body.hpp"
#include "api/json_text.hpp"
#include "api/topic_name.hpp"
#include "api/topic_spec.hpp"

using namespace krest::api;

TEST_CASE("consume body: what the writer writes, the reader reads back", "[unit][api]") {
  std::string out;
  ConsumeBodyWriter w(out, 3);
  w.add({10, 1700000000000, std::string_view("k"), "v \"1\"\n\x01"});
  w.add({11, 1700000000001, std::nullopt, ""});
  w.finish();
  std::vector<ConsumedRecord> records;
  REQUIRE_FALSE(parse_consume_body(out, records));
  REQUIRE(records.size() == 2);
  CHECK(records[0].partition == 3);
  CHECK(records[0].offset == 10);
  CHECK(records[0].timestamp_ms == 1700000000000);
  CHECK(records[0].timestamp_type == "CreateTime");
  CHECK(*records[0].key == "k");
  CHECK(records[0].value == "v \"1\"\n\x01");
  CHECK_FALSE(records[1].key);
  CHECK(records[1].value.empty());
}

TEST_CASE("consume body: the reader also accepts the bare array the reference page shows", "[unit][api]") {
  std::vector<ConsumedRecord> records;
  REQUIRE_FALSE(parse_consume_body(
      R"([{"key":"a","value":"b","partition":0,"offset":5,"timestamp":1,"timestampType":"LogAppendTime"}])", records));
  REQUIRE(records.size() == 1);
  CHECK(records[0].offset == 5);
  CHECK(records[0].timestamp_type == "LogAppendTime");
}

TEST_CASE("consume body: the reader names what is wrong", "[unit][api]") {
  std::vector<ConsumedRecord> records;
  CHECK_THAT(*parse_consume_body("{", records), Catch::Contains("malformed JSON"));
  CHECK_THAT(*parse_consume_body(R"({"x":1})", records), Catch::Contains("neither"));
  CHECK_THAT(*parse_consume_body(R"({"records":[{"value":"v","partition":0}]})", records),
             Catch::Contains("records[0].offset"));
  CHECK_THAT(*parse_consume_body(R"({"records":[{"value":1,"partition":0,"offset":1}]})", records),
             Catch::Contains("records[0].value"));
}

TEST_CASE("json text: control characters are escaped, UTF-8 passes through", "[unit][api]") {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\x1f\xc3\xa9", 8));
  CHECK(out == "\"a\\\"b\\\\c\\u001f\xc3\xa9\"");
  CHECK(write_error_body(404, "topic 'x' not found") == R"({"error_code":404,"message":"topic 'x' not found"})");
}

TEST_CASE("topic names follow Kafka's rules", "[unit][api]") {
  CHECK_FALSE(check_topic_name("orders.v1_EU-2"));
  CHECK_FALSE(check_topic_name(std::string(249, 'a')));
  CHECK(check_topic_name(std::string(250, 'a')));
  CHECK(check_topic_name(""));
  CHECK(check_topic_name("."));
  CHECK(check_topic_name(".."));
  CHECK(check_topic_name("a/b"));
  CHECK(check_topic_name("../etc"));
  CHECK(check_topic_name("a b"));
  CHECK(check_topic_name("caf\xc3\xa9"));
}

TEST_CASE("topic spec: numbers and strings as property values, bad shapes named", "[unit][api]") {
  auto spec = parse_topic_spec(
      R"({"partition_count":3,"replication_factor":1,"topic_properties":{"retention.ms":604800000,"min.insync.replicas":"1"}})");
  REQUIRE(std::holds_alternative<TopicSpec>(spec));
  auto& s = std::get<TopicSpec>(spec);
  CHECK(*s.partition_count == 3);
  CHECK(s.properties.at("retention.ms") == "604800000");
  CHECK(s.properties.at("min.insync.replicas") == "1");
  CHECK(std::holds_alternative<TopicSpec>(parse_topic_spec("")));
  CHECK_THAT(std::get<std::string>(parse_topic_spec(R"({"partition_count":0})")), Catch::Contains("partition_count"));
  CHECK_THAT(std::get<std::string>(parse_topic_spec(R"({"partition_count":"3"})")),
             Catch::Contains("partition_count must be an integer"));
  CHECK_THAT(std::get<std::string>(parse_topic_spec(R"({"partition_count":3000000000})")),
             Catch::Contains("partition_count"));
  CHECK_THAT(std::get<std::string>(parse_topic_spec(R"({"topic_properties":{"a":[1]}})")),
             Catch::Contains("topic_properties.a"));
  CHECK_THAT(std::get<std::string>(parse_topic_spec(R"({"partitions":3})")),
             Catch::Contains("unknown field 'partitions'"));
  CHECK_THAT(std::get<std::string>(parse_topic_spec("[1]")), Catch::Contains("must be a JSON object"));
  CHECK_THAT(std::get<std::string>(parse_topic_spec("{,}")), Catch::Contains("malformed JSON"));
}

TEST_CASE("json text: the word-at-a-time escaper matches a byte-at-a-time reference", "[unit][api]") {
  auto reference = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (c == '"')
        out += "\\\"";
      else if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else if (c == '\b')
        out += "\\b";
      else if (c == '\f')
        out += "\\f";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else
        out += static_cast<char>(c);
    }
    return out;
  };
  const std::string alphabet = std::string("ab\"\\\x01\x1f\x20\x7f\n\t", 10) + "\xc3\xa9\xff\x80";
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 40, ' ');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    std::string out;
    append_json_escaped(out, s);
    INFO("case " << i);
    REQUIRE(out == reference(s));
    REQUIRE(needs_json_escape(s) == (out != s));
  }
}

TEST_CASE("consume body: a record marked plain JSON is written exactly as the escaping path writes it", "[unit][api]") {
  std::string escaped, plain;
  ConsumeBodyWriter a(escaped, 1), b(plain, 1);
  for (auto* w : {&a, &b}) {
    bool is_plain = w == &b;
    w->add({7, 100, std::string_view("key \xc3\xa9"), "value", is_plain});
    w->add({8, 100, std::nullopt, "", is_plain});
    w->finish();
  }
  CHECK(escaped == plain);
}

TEST_CASE("consume body: unknown fields are skipped, wrong shapes named", "[unit][api]") {
  std::vector<ConsumedRecord> records;
  REQUIRE_FALSE(parse_consume_body(
      R"({"meta":{"a":[1,{"b":2}]},"records":[{"extra":{"x":[1]},"key":null,"value":"v","partition":1,"offset":9}],"n":1})",
      records));
  REQUIRE(records.size() == 1);
  CHECK(records[0].offset == 9);
  CHECK_FALSE(records[0].key);
  CHECK_THAT(*parse_consume_body(R"({"records":[1]})", records), Catch::Contains("records[0] is not an object"));
  CHECK_THAT(*parse_consume_body(R"({"records":[{"value":{"a":1},"partition":0,"offset":1}]})", records),
             Catch::Contains("records[0].value"));
  CHECK_THAT(*parse_consume_body(R"({"records":[{"value":"v","partition":-1,"offset":1}]})", records),
             Catch::Contains("records[0].partition is out of range"));
  CHECK_THAT(*parse_consume_body(R"({"records":[{"value":"v","key":7,"partition":0,"offset":1}]})", records),
             Catch::Contains("records[0].key"));
  CHECK_THAT(*parse_consume_body(R"({"records":[]} x)", records), Catch::Contains("malformed"));
  // A long value split across parser buffers arrives whole.
  const std::string big(100000, 'q');
  REQUIRE_FALSE(parse_consume_body(R"({"records":[{"value":")" + big + R"(","partition":0,"offset":0}]})", records));
  CHECK(records[0].value == big);
}

TEST_CASE("consume body: the fast path for krest-proxy's layout reads exactly what the JSON parser reads",
          "[unit][api]") {
  std::mt19937_64 rng(11);
  const std::string alphabet = std::string("ab \"\\\x01\n", 8) + "\xc3\xa9";
  auto text = [&](bool with_escapes) {
    std::string s(rng() % 30, 'x');
    for (auto& c : s) c = with_escapes ? alphabet[rng() % alphabet.size()] : static_cast<char>('a' + rng() % 26);
    return s;
  };
  const std::string mutations = std::string("0123456789\"\\,:{}[] -+.eE\x01\xc3n", 27);
  int exact_taken = 0;
  for (int i = 0; i < 4000; ++i) {
    const bool escapes = rng() % 4 == 0;
    std::string body;
    ConsumeBodyWriter w(body, static_cast<std::int32_t>(rng() % 3 == 0 ? 2147483647 : rng() % 8));
    const int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) {
      const std::string key = text(escapes), value = text(escapes);
      ConsumedRecordView v;
      v.offset = static_cast<std::int64_t>(rng() % 3 == 0 ? rng() >> 1 : rng() % 1000);
      v.timestamp_ms = static_cast<std::int64_t>(rng() % 2 ? 1700000000000 + rng() % 1000 : 0);
      if (rng() % 2) v.key = key;
      v.value = value;
      v.log_append_time = rng() % 5 == 0;
      w.add(v);
    }
    w.finish();
    const bool mutated = rng() % 2 == 0;
    if (mutated && !body.empty()) body[rng() % body.size()] = mutations[rng() % mutations.size()];
    INFO("case " << i << ": " << body);
    std::vector<ConsumedRecord> fast, generic;
    const auto fast_error = parse_consume_body(body, fast);
    const auto generic_error = parse_consume_body_generic(body, generic);
    REQUIRE(fast_error == generic_error);
    REQUIRE(fast == generic);
    // What the writer writes without escapes is what the fast path is for: it must take it.
    std::vector<ConsumedRecord> exact;
    if (!mutated && !escapes) {
      REQUIRE(parse_consume_body_exact(body, exact));
      ++exact_taken;
    }
  }
  CHECK(exact_taken > 1000);
  // Numbers at the edges of what JSON and int64 allow.
  for (const char* offset : {"-0", "0", "00", "01", "-", "9223372036854775807", "9223372036854775808",
                             "-9223372036854775808", "123456789012345678", "1234567890123456789", "1.5", "1e3",
                             "+1", "12345678901234567890"}) {
    const std::string body = std::string(R"({"records":[{"key":null,"value":"v","partition":0,"offset":)") + offset +
                              R"(,"timestamp":1,"timestampType":"CreateTime"}]})";
    INFO(body);
    std::vector<ConsumedRecord> fast, generic;
    const auto fast_error = parse_consume_body(body, fast);
    REQUIRE(fast_error == parse_consume_body_generic(body, generic));
    if (!fast_error) CHECK(fast[0].offset == generic[0].offset);
  }
}

TEST_CASE("consume body: records parsed over earlier ones keep nothing of them", "[unit][api]") {
  auto body_of = [](std::int32_t partition, int n, bool keys, std::int64_t first) {
    std::string body;
    ConsumeBodyWriter w(body, partition);
    const std::string key = "key-held-by-an-earlier-record", value = "an earlier value, long enough to be on the heap";
    for (int i = 0; i < n; ++i) {
      ConsumedRecordView v;
      v.offset = first + i;
      v.timestamp_ms = keys ? 111 : 222;
      if (keys) v.key = key;
      v.value = keys ? std::string_view(value) : std::string_view("v");
      v.log_append_time = keys;
      w.add(v);
    }
    w.finish();
    return body;
  };
  std::vector<ConsumedRecord> reused, fresh;
  REQUIRE_FALSE(parse_consume_body(body_of(3, 8, true, 100), reused));
  const std::string later = body_of(1, 5, false, 7);
  REQUIRE_FALSE(parse_consume_body(later, reused));
  REQUIRE_FALSE(parse_consume_body(later, fresh));
  REQUIRE(reused.size() == 5);
  CHECK(reused == fresh);
  CHECK_FALSE(reused[0].key);
  CHECK(reused[0].timestamp_type == "CreateTime");
}
