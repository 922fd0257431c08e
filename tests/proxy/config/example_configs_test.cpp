#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "authority/authority.hpp"
#include "config/proxy_config.hpp"

using namespace krest::proxy;
namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("every example proxy configuration in configs/ is valid as shipped", "[unit][config]") {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(KREST_SOURCE_DIR) / "configs")) {
    const auto name = entry.path().filename().string();
    if (name.rfind("proxy-", 0) != 0) continue;
    INFO(name);
    ProxyConfig config;
    REQUIRE_NOTHROW(apply_json_config(config, read(entry.path()), name));
    auto problems = validate(config);
    CHECK(problems.empty());
    ++checked;
  }
  CHECK(checked >= 3);
}

TEST_CASE("the example authority file asks for a real secret hash before it is used", "[unit][config]") {
  CHECK_THROWS_WITH(read_authority_config(KREST_SOURCE_DIR "/configs/authority-local.json"),
                    Catch::Contains("krest-proxy --hash-secret"));
}

TEST_CASE("list settings come from JSON arrays, comma-separated strings and flags alike", "[unit][config]") {
  ProxyConfig config;
  apply_json_config(config, R"({"auth_allowed_groups":["a","b"],"auth_issuers":"x, y,,z"})", "test");
  CHECK(config.auth_allowed_groups == std::vector<std::string>{"a", "b"});
  CHECK(config.auth_issuers == std::vector<std::string>{"x", "y", "z"});
  CHECK_THROWS_WITH(apply_json_config(config, R"({"auth_allowed_groups":[1]})", "test"),
                    Catch::Contains("array of non-empty strings"));
  ProxyConfig jwt_without_keys;
  std::string all;
  for (const auto& p : validate(jwt_without_keys)) all += p + "\n";
  CHECK_THAT(all, Catch::Contains("needs signing keys") && Catch::Contains("both are empty"));
}

TEST_CASE("backend = kafka needs its brokers, and properties are key=value", "[unit][config]") {
  ProxyConfig config;
  apply_json_config(config, R"({"backend":"kafka","auth":"none"})", "test");
  auto problems = validate(config);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("kafka_bootstrap_servers"));
  apply_json_config(config, R"({"kafka_bootstrap_servers":"b:9092","kafka_properties":["acks=all","nonsense"]})",
                    "test");
  problems = validate(config);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("'nonsense...' is not key=value"));
  CHECK_THROWS_WITH(apply_json_config(config, R"({"backend":"cassandra"})", "test"),
                    Catch::Contains("not one of: embedded, kafka"));
}
