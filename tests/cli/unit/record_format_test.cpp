#include <catch2/catch.hpp>

#include "cli/usage_error.hpp"
#include "api/utf8.hpp"
#include "load/record_format.hpp"

using namespace krest::cli;
using krest::Record;

namespace {

Record parse_ok(RecordFormat& f, std::string_view line) {
  Record r;
  auto e = f.parse(line, r);
  INFO(line << " -> " << e);
  REQUIRE(e.empty());
  return r;
}

std::string parse_error(RecordFormat& f, std::string_view line) {
  Record r;
  return f.parse(line, r);
}

}  // namespace

TEST_CASE("lines: the whole line is the value, or a key split at the first delimiter", "[unit][cli]") {
  RecordFormat plain({});
  auto r = parse_ok(plain, "a|b|c");
  CHECK(r.value == "a|b|c");
  CHECK_FALSE(r.key);
  CHECK_FALSE(r.value_json);

  FormatOptions o;
  o.key_delimiter = "::";
  RecordFormat keyed(o);
  r = parse_ok(keyed, "user1::hello::world");
  CHECK(*r.key == "user1");
  CHECK(r.value == "hello::world");
  r = parse_ok(keyed, "no delimiter here");  // as kcat -K: no key, the whole line the value
  CHECK_FALSE(r.key);
  CHECK(r.value == "no delimiter here");
  CHECK(parse_error(keyed, "bad \xff byte") == "not valid UTF-8");
}

TEST_CASE("ndjson: any JSON value, sent as its text, and the key from a JSON pointer", "[unit][cli]") {
  FormatOptions o;
  o.format = "ndjson";
  o.key_field = "/user/id";
  RecordFormat f(o);
  auto r = parse_ok(f, R"(  {"user":{"id":"u-1"},"tags":["a"]} )");
  CHECK(r.value == R"({"user":{"id":"u-1"},"tags":["a"]})");
  CHECK(r.value_json);
  CHECK(*r.key == "u-1");
  CHECK_FALSE(r.key_json);
  r = parse_ok(f, R"({"user":{"id":{"n":7}}})");
  CHECK(*r.key == R"({"n":7})");
  CHECK(r.key_json);
  CHECK(parse_error(f, R"({"user":{}})") == "no key at /user/id");
  CHECK(parse_error(f, R"({"user":{"id":null}})") == "no key at /user/id");
  CHECK(parse_error(f, R"({"user": oops})").rfind("not a JSON value", 0) == 0);
  CHECK(parse_error(f, "{\"user\":{\"id\":\"a\"}} trailing").rfind("not a JSON value", 0) == 0);
  CHECK(parse_error(f, "\"bad \xff\"").rfind("not a JSON value", 0) == 0);
  // Many lines through the same parser: no state leaks from one to the next.
  for (int i = 0; i < 10000; ++i) {
    auto line = R"({"user":{"id":")" + std::to_string(i) + R"("},"pad":")" + std::string(i % 300, 'x') + "\"}";
    REQUIRE(*parse_ok(f, line).key == std::to_string(i));
  }
}

TEST_CASE("json records: key, value, partition, and strings as they are, other values as JSON", "[unit][cli]") {
  FormatOptions o;
  o.format = "json";
  RecordFormat f(o);
  auto r = parse_ok(f, R"({"key":"k","value":"v","partition":3})");
  CHECK(*r.key == "k");
  CHECK(r.value == "v");
  CHECK(*r.partition == 3);
  r = parse_ok(f, R"({"key":null,"value":[1,{"a":true}]})");
  CHECK_FALSE(r.key);
  CHECK(r.value == R"([1,{"a":true}])");
  CHECK(r.value_json);
  CHECK(parse_error(f, R"({"key":"k"})") == "no \"value\"");
  CHECK(parse_error(f, R"({"value":null})").find("null") != std::string::npos);
  CHECK(parse_error(f, R"({"value":"v","partition":-1})").find("partition") != std::string::npos);
  CHECK(parse_error(f, R"({"value":"v","partiton":1})").find("unknown field \"partiton\"") != std::string::npos);
  CHECK(parse_error(f, R"(["value"])").find("not a JSON object") != std::string::npos);
}

TEST_CASE("csv: RFC 4180 quoting, key by name or number, value as the row or an object", "[unit][cli]") {
  std::vector<std::string> fields;
  CHECK(split_csv(R"(a,"b,c","say ""hi""",,)", ',', fields).empty());
  CHECK(fields == std::vector<std::string>{"a", "b,c", R"(say "hi")", "", ""});
  CHECK(split_csv(R"(a,"open)", ',', fields).find("not closed") != std::string::npos);
  CHECK(split_csv(R"("a"b,c)", ',', fields).find("after the closing quote") != std::string::npos);
  CHECK(split_csv(R"(a,b"c)", ',', fields).find("quote inside") != std::string::npos);
  CHECK(split_csv("x;y", ';', fields).empty());
  CHECK(fields == std::vector<std::string>{"x", "y"});

  FormatOptions o;
  o.format = "csv";
  o.key_field = "name";
  o.csv_value = "json";
  RecordFormat f(o);
  REQUIRE(f.wants_header());
  REQUIRE(f.read_header("id,name").empty());
  auto r = parse_ok(f, R"(7,"Smith, ""Jo""")");
  CHECK(*r.key == R"(Smith, "Jo")");
  CHECK(r.value == R"({"id":"7","name":"Smith, \"Jo\""})");
  CHECK(parse_error(f, "1,2,3").find("3 fields and the header 2") != std::string::npos);

  o.key_field = "3";
  o.csv_value = "line";
  o.csv_header = false;
  RecordFormat by_number(o);
  r = parse_ok(by_number, "a,b,c");
  CHECK(*r.key == "c");
  CHECK(r.value == "a,b,c");
  CHECK(parse_error(by_number, "a,b").find("no column 3") != std::string::npos);

  o.key_field = "missing";
  o.csv_header = true;
  RecordFormat unknown(o);
  CHECK(unknown.read_header("id,name").find("no column 'missing'") != std::string::npos);
}

TEST_CASE("options that do not go together are refused before anything is read", "[unit][cli]") {
  auto refused = [](FormatOptions o) { CHECK_THROWS_AS(RecordFormat(o), UsageError); };
  FormatOptions o;
  o.format = "xml";
  refused(o);
  o = {};
  o.format = "ndjson";
  o.key_delimiter = ",";
  refused(o);
  o = {};
  o.format = "ndjson";
  o.key_field = "user";  // not a pointer
  refused(o);
  o = {};
  o.format = "json";
  o.key_field = "/k";
  refused(o);
  o = {};
  o.format = "csv";
  o.csv_header = false;
  o.key_field = "name";
  refused(o);
  o = {};
  o.format = "csv";
  o.key_field = "0";  // numbered from 1
  refused(o);
}

TEST_CASE("valid_utf8 accepts UTF-8 and nothing else", "[unit][api]") {
  CHECK(krest::api::valid_utf8("plain"));
  CHECK(krest::api::valid_utf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(krest::api::valid_utf8("\xff"));
  CHECK_FALSE(krest::api::valid_utf8("\xc3"));              // cut short
  CHECK_FALSE(krest::api::valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(krest::api::valid_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(krest::api::valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(krest::api::valid_utf8("a\x80"));             // a lone continuation byte
}

TEST_CASE("append_utf8_replacing puts U+FFFD where each ill-formed byte was", "[unit][api]") {
  std::string out;
  krest::api::append_utf8_replacing(out, "ok \xc3\xa9 \xff end\xc3");
  CHECK(out == "ok \xc3\xa9 \xef\xbf\xbd end\xef\xbf\xbd");
  CHECK(krest::api::valid_utf8(out));
}
