// SIGHUP to a real krest-proxy: a renewed certificate, new quotas, the authority's applications
// and the token policy without a restart, open connections and a running load untouched, and
// files that cannot be used refused with the old ones kept.
#include <signal.h>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "authority/secret_hash.hpp"
#include "server/tls_setup.hpp"
#include "support/proxy_fixture.hpp"
#include "support/test_authority.hpp"

using namespace krest::test;
namespace fs = std::filesystem;

namespace {

// Replaces `to` with `from`'s content the way a deployment would: a new file renamed over it.
void swap_in(const fs::path& from, const fs::path& to) {
  const auto staged = to.string() + ".new";
  fs::copy_file(from, staged, fs::copy_options::overwrite_existing);
  fs::rename(staged, to);
}

void write_text(const fs::path& p, const std::string& text) {
  const auto staged = p.string() + ".new";
  std::ofstream(staged) << text;
  fs::rename(staged, p);
}

// Waits (10 s at most) for the `n`th log line containing `needle`.
void wait_for_log(const ProxyProcess& proxy, const std::string& needle, int n = 1) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const auto log = proxy.log();
    int seen = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++seen;
    if (seen >= n) return;
    if (std::chrono::steady_clock::now() > deadline) FAIL("no '" << needle << "' in the log:\n" << log);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Signals a reload and waits for the `n`th log line containing `needle`.
void hang_up_and_wait(const ProxyProcess& proxy, const std::string& needle, int n = 1) {
  REQUIRE(::kill(proxy.pid(), SIGHUP) == 0);
  wait_for_log(proxy, needle, n);
}

}  // namespace

TEST_CASE("SIGHUP swaps the TLS certificate for new connections while a running load loses nothing",
          "[integration][reload]") {
  TempDir dir;
  const auto old_pair = krest::proxy::ensure_self_signed(dir / "old");
  const auto new_pair = krest::proxy::ensure_self_signed(dir / "new");
  fs::create_directories(dir / "live");
  const auto cert = dir / "live" / "cert.pem", key = dir / "live" / "key.pem";
  swap_in(old_pair.cert, cert);
  swap_in(old_pair.key, key);
  // (Files not watched here: each reload below is the SIGHUP's.)
  ProxyProcess proxy(dir / "data", {"--tls-cert", cert.string(), "--tls-key", key.string(), "--durability", "none",
                                    "--watch-files=false"});
  auto admin = proxy.client(10000, old_pair.cert);
  REQUIRE(admin.put("/v1/topics/reload").result_int() == 200);
  const auto expiry_before = admin.get("/metrics").body();
  CHECK_THAT(expiry_before, Catch::Contains("krest_proxy_tls_certificate_expiry_timestamp_seconds "));

  // A load on a connection opened with the old certificate, through every swap below.
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0}, failed{0};
  std::thread load([&] {
    auto c = proxy.client(10000, old_pair.cert);
    while (!stop) {
      const int status = c.post("/v1/producer/topics/reload", R"({"records":[{"value":"a"},{"value":"b"}]})").result_int();
      (status == 200 ? acknowledged : failed) += 1;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  swap_in(new_pair.cert, cert);
  swap_in(new_pair.key, key);
  hang_up_and_wait(proxy, "new connections get the TLS certificate");
  CHECK(proxy.client(10000, new_pair.cert).get("/v1/metadata/topics").result_int() == 200);
  CHECK_THROWS(HttpsClient(proxy.port(), old_pair.cert));  // new connections: the new certificate only

  // A certificate whose key is another one's, then a file that is no certificate: both refused,
  // the certificate in use kept.
  swap_in(old_pair.key, key);
  hang_up_and_wait(proxy, "kept the TLS certificate in use");
  CHECK_THAT(proxy.log(), Catch::Contains("cannot use TLS key") && Catch::Contains("mismatch"));
  write_text(cert, "not a certificate\n");
  hang_up_and_wait(proxy, "kept the TLS certificate in use", 2);
  CHECK(proxy.client(10000, new_pair.cert).get("/v1/metadata/topics").result_int() == 200);

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  load.join();
  CHECK(failed == 0);
  REQUIRE(acknowledged > 0);
  // Every acknowledged record is there.
  auto reader = proxy.client(10000, new_pair.cert);
  const auto answer = reader.get("/v1/consumer/topics/reload/partitions/0/offsets/0?count=100000");
  REQUIRE(answer.result_int() == 200);
  CHECK(boost::json::parse(answer.body()).at("records").as_array().size() == 2u * acknowledged);
}

TEST_CASE("SIGHUP applies new quotas from the config file and keeps them through a broken one",
          "[integration][reload]") {
  TempDir dir;
  const auto config = dir / "proxy.json";
  write_text(config, "{}\n");
  ProxyProcess proxy(dir / "data", {"--config", config.string(), "--watch-files=false"});
  auto c = proxy.client();
  auto refusals = [&](int requests) {
    int refused = 0;
    for (int i = 0; i < requests; ++i) refused += c.get("/v1/metadata/topics").result_int() == 429;
    return refused;
  };
  CHECK(refusals(50) == 0);
  write_text(config, R"({"quota_requests_per_s": 5})");
  hang_up_and_wait(proxy, "reload: quotas set");
  CHECK(refusals(50) > 0);
  CHECK_THAT(c.get("/metrics").body(), Catch::Contains("krest_proxy_quota_refused_total{caller="));
  // A file that does not parse, then one with a value out of range: each refused, the quotas kept.
  write_text(config, R"({"quota_requests_per_s": )");
  hang_up_and_wait(proxy, "kept the settings in use");
  write_text(config, R"({"quota_requests_per_s": -3})");
  hang_up_and_wait(proxy, "kept the settings in use", 2);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(refusals(50) > 0);
  // Lifted again.
  write_text(config, "{}\n");
  hang_up_and_wait(proxy, "reload: quotas off");
  CHECK(refusals(50) == 0);
}

namespace {

// An authority file registering `apps` (JSON application objects).
std::string authority_text(const std::string& apps) {
  return std::string(R"({"tenant":")") + kTenant + R"(","applications":[)" + apps + "]}";
}

std::string app_json(const std::string& client_id, const std::string& secret_hash) {
  return R"({"name":")" + client_id + R"(","client_id":")" + client_id + R"(","secret_hash":")" + secret_hash +
         R"(","groups":[")" + kAllowedGroup + R"("]})";
}

// The token endpoint's answer for `client_id` and `secret`: the status and, on 200, "Bearer <token>".
std::pair<int, std::string> ask_token(const ProxyProcess& proxy, const std::string& client_id, const std::string& secret) {
  auto c = proxy.client();
  auto r = c.request(boost::beast::http::verb::post, std::string("/") + kTenant + "/oauth2/v2.0/token",
                     "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" + secret +
                         "&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default",
                     "application/x-www-form-urlencoded");
  if (r.result_int() != 200) return {static_cast<int>(r.result_int()), {}};
  return {200, "Bearer " + std::string(boost::json::parse(r.body()).at("access_token").as_string())};
}

int api_status(const ProxyProcess& proxy, const std::string& bearer) {
  auto c = proxy.client();
  c.set_authorization(bearer);
  return c.get("/v1/metadata/topics").result_int();
}

}  // namespace

TEST_CASE("SIGHUP reads the authority's applications and the allowed groups again, a rotated secret included",
          "[integration][reload]") {
  TempDir dir;
  const auto authority = dir / "authority.json", config = dir / "proxy.json";
  const std::string second_secret = "second-app-secret-0123456789", rotated_secret = "rotated-app-secret-0123456789";
  // Hashed at the test application's cost: cheap under sanitizers.
  const std::string second_hash = krest::proxy::hash_secret_like(second_secret, kClientSecretHash);
  const std::string rotated_hash = krest::proxy::hash_secret_like(rotated_secret, kClientSecretHash);
  write_text(authority, authority_text(app_json(kClientId, kClientSecretHash)));
  write_text(config, std::string(R"({"auth_allowed_groups":[")") + kAllowedGroup + R"("]})");
  ProxyProcess proxy(dir / "data", {"--auth", "jwt", "--authority-file", authority.string(), "--config",
                                    config.string(), "--watch-files=false"});

  const auto [first_status, first_token] = ask_token(proxy, kClientId, kClientSecret);
  REQUIRE(first_status == 200);
  CHECK(api_status(proxy, first_token) == 200);

  // The test application taken out, another registered: the removed one's token and secret stop
  // working at once, the new one gets tokens.
  write_text(authority, authority_text(app_json("second-app", second_hash)));
  hang_up_and_wait(proxy, "reload: authority: 1 application(s) registered");
  CHECK(api_status(proxy, first_token) == 401);
  CHECK(ask_token(proxy, kClientId, kClientSecret).first == 401);
  const auto [second_status, second_token] = ask_token(proxy, "second-app", second_secret);
  REQUIRE(second_status == 200);
  CHECK(api_status(proxy, second_token) == 200);
  CHECK(ask_token(proxy, "second-app", second_secret).first == 200);  // now from the verified-secret cache

  // Its secret rotated: the old one fails although it passed a moment ago, the new one passes.
  write_text(authority, authority_text(app_json("second-app", rotated_hash)));
  hang_up_and_wait(proxy, "reload: authority: 1 application(s) registered", 2);
  CHECK(ask_token(proxy, "second-app", second_secret).first == 401);
  CHECK(ask_token(proxy, "second-app", rotated_secret).first == 200);

  // A broken file and a change that takes a restart: the applications in use kept, and said.
  write_text(authority, "{\"applications\": [");
  hang_up_and_wait(proxy, "kept the registered applications");
  CHECK(ask_token(proxy, "second-app", rotated_secret).first == 200);
  write_text(authority, std::string(R"({"tenant":"elsewhere","applications":[)") + app_json("second-app", rotated_hash) + "]}");
  hang_up_and_wait(proxy, "authority setting 'tenant' changed");
  CHECK(ask_token(proxy, "second-app", rotated_secret).first == 200);

  // The allowed groups changed in the config file: a token whose verdict was cached as allowed is
  // refused with 403 at once; changed back, allowed again.
  write_text(config, R"({"auth_allowed_groups":["other-group","another-group"]})");
  hang_up_and_wait(proxy, "reload: auth: 2 allowed group(s)");
  CHECK(api_status(proxy, second_token) == 403);
  write_text(config, std::string(R"({"auth_allowed_groups":[")") + kAllowedGroup + R"("]})");
  hang_up_and_wait(proxy, "reload: auth: 1 allowed group(s)", 5);  // the four reloads above said it too
  CHECK(api_status(proxy, second_token) == 200);
}

TEST_CASE("changed files are read again without SIGHUP: renamed over, written in place, or a swapped ..data link",
          "[integration][reload]") {
  TempDir dir;
  // Laid out as Kubernetes mounts a secret: each file a link through `..data` to a versioned directory.
  fs::create_directories(dir / "secret" / "..v1");
  const auto secret = dir / "secret";
  const auto config = dir / "proxy.json";
  const std::string second_secret = "second-app-secret-0123456789";
  const std::string second_hash = krest::proxy::hash_secret_like(second_secret, kClientSecretHash);
  write_text(secret / "..v1" / "authority.json", authority_text(app_json(kClientId, kClientSecretHash)));
  fs::create_directory_symlink("..v1", secret / "..data");
  fs::create_symlink("..data/authority.json", secret / "authority.json");
  write_text(config, std::string(R"({"auth_allowed_groups":[")") + kAllowedGroup + R"("]})");
  ProxyProcess proxy(dir / "data", {"--auth", "jwt", "--authority-file", (secret / "authority.json").string(),
                                    "--config", config.string()});
  const auto [first_status, first_token] = ask_token(proxy, kClientId, kClientSecret);
  REQUIRE(first_status == 200);

  // The secret volume updated: a new version directory, and `..data` swapped to it by a rename.
  fs::create_directories(secret / "..v2");
  write_text(secret / "..v2" / "authority.json", authority_text(app_json("second-app", second_hash)));
  fs::create_directory_symlink("..v2", secret / "..data_tmp");
  fs::rename(secret / "..data_tmp", secret / "..data");
  wait_for_log(proxy, "reload: authority: 1 application(s) registered");
  CHECK_THAT(proxy.log(), Catch::Contains("changed: " + (secret / "authority.json").string() + ": reloading"));
  CHECK(api_status(proxy, first_token) == 401);
  CHECK(ask_token(proxy, "second-app", second_secret).first == 200);

  // The config file renamed over: the allowed groups change, and a cached token is refused at once.
  const auto [second_status, second_token] = ask_token(proxy, "second-app", second_secret);
  REQUIRE(second_status == 200);
  CHECK(api_status(proxy, second_token) == 200);
  write_text(config, R"({"auth_allowed_groups":["other-group"]})");
  wait_for_log(proxy, "reload: auth: 1 allowed group(s)", 2);
  wait_for_log(proxy, "changed: " + config.string());
  CHECK(api_status(proxy, second_token) == 403);

  // Written in place (no rename): the same.
  std::ofstream(config, std::ios::trunc) << R"({"auth_allowed_groups":[")" << kAllowedGroup << R"(", "g2"]})";
  wait_for_log(proxy, "reload: auth: 2 allowed group(s)");
  CHECK(api_status(proxy, second_token) == 200);

  // Other files in the same directories change nothing.
  const auto reloads = [&] {
    const auto log = proxy.log();
    int n = 0;
    for (auto at = log.find(": reloading"); at != std::string::npos; at = log.find(": reloading", at + 1)) ++n;
    return n;
  };
  const int before = reloads();
  std::ofstream(dir / "notes.txt") << "unrelated";
  std::ofstream(secret / "other.txt") << "unrelated";
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK(reloads() == before);
}
