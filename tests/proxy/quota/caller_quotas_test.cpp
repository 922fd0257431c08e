// The quota buckets on a clock of the test's own: what is let in, what is refused and for how long.
#include <catch2/catch.hpp>

#include "config/proxy_config.hpp"
#include "quota/caller_quotas.hpp"

using krest::proxy::CallerQuotas;
using krest::proxy::QuotaSettings;
using Kind = CallerQuotas::Kind;
using namespace std::chrono_literals;

namespace {

QuotaSettings settings_of(std::vector<std::string> callers, std::int64_t requests_per_s = 0) {
  krest::proxy::ProxyConfig config;
  config.quota_requests_per_s = requests_per_s;
  config.quota_callers = std::move(callers);
  return krest::proxy::quota_settings(config);
}

}  // namespace

TEST_CASE("a request quota lets a burst of one second in, then one request per share of a second", "[unit][quota]") {
  CallerQuotas q(settings_of({"app requests_per_s=10"}));
  const auto t0 = CallerQuotas::Clock::time_point{} + 100s;
  for (int i = 0; i < 10; ++i) REQUIRE_FALSE(q.admit("app", {}, Kind::other, t0));
  const auto refused = q.admit("app", {}, Kind::other, t0);
  REQUIRE(refused);
  CHECK(std::string(refused->quota) == "requests_per_s");
  CHECK(refused->retry_after == 1s);
  CHECK_FALSE(q.admit("app", {}, Kind::other, t0 + 100ms));  // a tenth of a second: one more
  CHECK(q.admit("app", {}, Kind::other, t0 + 100ms));
  // Another caller has no quota of its own and no default: never refused.
  for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(q.admit("other", {}, Kind::other, t0));
}

TEST_CASE("byte quotas take a request's size after it, so one large request passes and its debt is waited off",
          "[unit][quota]") {
  CallerQuotas q(settings_of({"app produce_bytes_per_s=1000 consume_bytes_per_s=500"}));
  const auto t0 = CallerQuotas::Clock::time_point{} + 100s;
  REQUIRE_FALSE(q.admit("app", {}, Kind::produce, t0));
  q.charge("app", {}, Kind::produce, 5000, t0);  // five seconds' worth at once: 4,000 in debt
  const auto refused = q.admit("app", {}, Kind::produce, t0 + 1s);
  REQUIRE(refused);
  CHECK(std::string(refused->quota) == "produce_bytes_per_s");
  CHECK(refused->retry_after == 4s);  // 3,000 still owed, plus the one byte that must be there
  CHECK_FALSE(q.admit("app", {}, Kind::consume, t0 + 1s));  // the other direction has its own bucket
  CHECK_FALSE(q.admit("app", {}, Kind::produce, t0 + 5s));
  // Consume bytes are known after the answer: the next consume waits.
  q.charge("app", {}, Kind::consume, 2000, t0 + 5s);
  CHECK(q.admit("app", {}, Kind::consume, t0 + 6s));
  CHECK_FALSE(q.admit("app", {}, Kind::consume, t0 + 9s));
}

TEST_CASE("a default quota applies to every caller on its own and an entry overrides the rates it names",
          "[unit][quota]") {
  CallerQuotas q(settings_of({"vip requests_per_s=0"}, 2));
  const auto t0 = CallerQuotas::Clock::time_point{} + 100s;
  for (const char* caller : {"a", "b"}) {
    CHECK_FALSE(q.admit(caller, {}, Kind::other, t0));
    CHECK_FALSE(q.admit(caller, {}, Kind::other, t0));
    CHECK(q.admit(caller, {}, Kind::other, t0));
  }
  for (int i = 0; i < 100; ++i) REQUIRE_FALSE(q.admit("vip", {}, Kind::other, t0));
}

TEST_CASE("quota entries that do not parse are refused with the entry named", "[unit][quota]") {
  for (const char* entry : {"", "requests_per_s=5", "app", "app requests=5", "app requests_per_s=-1",
                            "app requests_per_s=5x", "app produce_bytes_per_s"}) {
    CAPTURE(entry);
    krest::proxy::ProxyConfig config;
    config.auth = "none";
    config.quota_callers = {entry};
    const auto problems = krest::proxy::validate(config);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::Contains("quota_callers"));
  }
  krest::proxy::ProxyConfig twice;
  twice.auth = "none";
  twice.quota_callers = {"app requests_per_s=1", "app produce_bytes_per_s=5"};
  const auto problems = krest::proxy::validate(twice);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("twice"));
}

TEST_CASE("callers past max_callers are forgotten idle first and their counts kept under others", "[unit][quota]") {
  auto s = settings_of({}, 5);
  s.max_callers = 100;
  CallerQuotas q(s);
  const auto t0 = CallerQuotas::Clock::time_point{} + 100s;
  for (int i = 0; i < 1000; ++i) (void)q.admit("caller-" + std::to_string(i), {}, Kind::other, t0 + std::chrono::seconds(i));
  CHECK(q.tracked() <= 100);
  std::string text;
  q.append_metrics(text);
  CHECK_THAT(text, Catch::Contains("krest_proxy_caller_requests_total{caller=\"(others)\"}"));
  CHECK_THAT(text, Catch::Contains("krest_proxy_caller_requests_total{caller=\"caller-999\"} 1"));
}

TEST_CASE("a group's quota is shared by its members on top of each caller's own", "[unit][quota]") {
  krest::proxy::ProxyConfig config;
  config.quota_callers = {"alone requests_per_s=3"};
  config.quota_groups = {"team requests_per_s=4 produce_bytes_per_s=1000"};
  CallerQuotas q(krest::proxy::quota_settings(config));
  const auto t0 = CallerQuotas::Clock::time_point{} + 100s;
  const std::vector<std::string> team = {"team", "no-quota-group"};
  // Two members take turns: four requests between them, then both are refused, naming the group.
  for (int i = 0; i < 4; ++i) REQUIRE_FALSE(q.admit(i % 2 ? "a" : "b", team, Kind::other, t0));
  for (const char* member : {"a", "b"}) {
    const auto refused = q.admit(member, team, Kind::other, t0);
    REQUIRE(refused);
    CHECK(refused->group == "team");
    CHECK(std::string(refused->quota) == "requests_per_s");
  }
  // The same callers without the group (another token) are not held by it.
  CHECK_FALSE(q.admit("a", {}, Kind::other, t0));
  // A caller's own quota still applies inside the group, and refuses as the caller's.
  CallerQuotas fresh(krest::proxy::quota_settings(config));
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(fresh.admit("alone", team, Kind::other, t0));
  const auto own = fresh.admit("alone", team, Kind::other, t0);
  REQUIRE(own);
  CHECK(own->group.empty());
  // Bytes too: one member's large produce puts the whole group in debt.
  CallerQuotas bytes(krest::proxy::quota_settings(config));
  REQUIRE_FALSE(bytes.admit("a", team, Kind::produce, t0));
  bytes.charge("a", team, Kind::produce, 3000, t0);
  const auto debt = bytes.admit("b", team, Kind::produce, t0 + 1s);
  REQUIRE(debt);
  CHECK(debt->group == "team");
  CHECK(std::string(debt->quota) == "produce_bytes_per_s");
  CHECK(debt->retry_after == 2s);  // it owes 1000 after the burst and a second refilled: a bit over a second
  CHECK_FALSE(bytes.admit("b", team, Kind::produce, t0 + 2s + 1ms));
}

TEST_CASE("a reload changes a group's rates and drops a group no longer named", "[unit][quota]") {
  krest::proxy::ProxyConfig config;
  config.quota_groups = {"team requests_per_s=1"};
  CallerQuotas q(krest::proxy::quota_settings(config));
  const auto t0 = CallerQuotas::Clock::time_point{} + 100s;
  REQUIRE_FALSE(q.admit("a", {"team"}, Kind::other, t0));
  REQUIRE(q.admit("a", {"team"}, Kind::other, t0));
  config.quota_groups = {"team requests_per_s=100"};
  q.update(krest::proxy::quota_settings(config));
  // Its bucket keeps what it owes, now refilling a hundred times faster.
  CHECK_FALSE(q.admit("a", {"team"}, Kind::other, t0 + 20ms));
  config.quota_groups.clear();
  q.update(krest::proxy::quota_settings(config));
  CHECK_FALSE(q.enabled());
  std::string metrics;
  q.append_metrics(metrics);
  CHECK(metrics.find("krest_proxy_group_requests_total") == std::string::npos);
}

TEST_CASE("quota_groups entries that do not parse are refused with the setting named", "[unit][quota]") {
  krest::proxy::ProxyConfig config;
  config.auth = "none";
  config.quota_groups = {"team requests=5"};
  const auto problems = krest::proxy::validate(config);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("quota_groups entry 'team requests=5'"));
}
