#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/connection.hpp"
#include "cli/usage_error.hpp"
#include "settings_table.hpp"
#include "support/temp_dir.hpp"

using namespace krest::cli;
namespace fs = std::filesystem;

namespace {

// Sets an environment variable for the scope of a test.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old) old_ = old;
    had_ = old != nullptr;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST_CASE("every example krest profile in configs/ reads, and names what it still needs", "[unit][cli]") {
  ScopedEnv secret("KREST_CLIENT_SECRET", "a-secret-for-the-test");
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(KREST_SOURCE_DIR) / "configs")) {
    const auto name = entry.path().filename().string();
    if (name.rfind("krest-", 0) != 0) continue;
    INFO(name);
    ConnectionProfile profile;
    REQUIRE_NOTHROW(apply_connection_json(profile, krest::settings::read_text_file(entry.path().string(), "profile"), name));
    CHECK(profile.auth == "client-credentials");
    if (profile.client_secret_file.empty()) {
      auto options = client_options(profile);
      CHECK(options.auth.client_secret == "a-secret-for-the-test");
      CHECK(options.auth.tls.ca_file == profile.ca_file);  // the authority is trusted like the proxy
    } else {
      // The HDInsight profile reads its secret from a file that does not exist here.
      CHECK_THROWS_WITH(client_options(profile), Catch::Contains(profile.client_secret_file));
    }
    ++checked;
  }
  CHECK(checked == 2);
}

TEST_CASE("the profile's auth mode follows what is given, and secrets come from the environment or files",
          "[unit][cli]") {
  ScopedEnv secret("KREST_CLIENT_SECRET", nullptr);
  ScopedEnv token("KREST_TOKEN", nullptr);
  ConnectionProfile p;
  p.endpoint = "https://proxy.example";
  CHECK(client_options(p).auth.mode == krest::AuthOptions::Mode::none);
  {
    ScopedEnv t("KREST_TOKEN", "tok");
    auto o = client_options(p);
    CHECK(o.auth.mode == krest::AuthOptions::Mode::static_token);
    CHECK(o.auth.static_token == "tok");
  }
  p.client_id = "app";
  p.tenant = "t";
  CHECK_THROWS_WITH(client_options(p), Catch::Contains("KREST_CLIENT_SECRET"));
  krest::test::TempDir dir;
  std::ofstream(dir / "secret") << "from-a-file\n";
  p.client_secret_file = (dir / "secret").string();
  auto o = client_options(p);
  CHECK(o.auth.mode == krest::AuthOptions::Mode::client_credentials);
  CHECK(o.auth.client_secret == "from-a-file");  // without the line end
  CHECK(o.auth.authority == "https://login.microsoftonline.com/{tenant}");

  ConnectionProfile typo;
  CHECK_THROWS_WITH(apply_connection_json(typo, R"({"endpont":"x"})", "p.json"),
                    Catch::Contains("unknown setting 'endpont'"));
  CHECK_THROWS_WITH(apply_connection_json(typo, R"({"client_secret":"x"})", "p.json"),
                    Catch::Contains("unknown setting 'client_secret'"));  // secrets never sit in a profile
  CHECK_THROWS_AS(client_options(ConnectionProfile{}), UsageError);  // no endpoint
}
