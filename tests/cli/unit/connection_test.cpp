#include <CLI/CLI.hpp>
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
    // Its CA file is the proxy's, made when it first starts: one that exists stands in for it.
    krest::test::TempDir ca_dir;
    if (!profile.ca_file.empty()) {
      profile.ca_file = (ca_dir / "cert.pem").string();
      std::ofstream(profile.ca_file) << "a CA";
    }
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
                    Catch::Contains("unknown setting 'endpont' (did you mean 'endpoint'?)"));
  CHECK_THROWS_WITH(apply_connection_json(typo, R"({"client_secret":"x"})", "p.json"),
                    Catch::Contains("unknown setting 'client_secret'"));  // secrets never sit in a profile
  CHECK_THROWS_AS(client_options(ConnectionProfile{}), UsageError);  // no endpoint
}

TEST_CASE("every connection setting: a flag beats its variable, which beats the profile, which beats the default",
          "[unit][cli]") {
  using krest::cli::connection_setting_names;
  using krest::cli::setting_text;
  krest::test::TempDir dir;
  for (const auto& s : connection_setting_names()) {
    CAPTURE(s.key);
    // Three values, each different from the default and from each other, valid for the setting.
    std::vector<std::string> values;
    if (s.kind == 'b') {
      values = {"true", "false", "true"};
    } else if (!s.choices.empty()) {
      REQUIRE(s.choices.size() >= 3);
      values = {s.choices[1], s.choices[2], s.choices.size() > 3 ? s.choices[3] : s.choices[0]};
    } else if (s.kind == 'n') {
      values = {std::to_string(s.min + 1), std::to_string(s.min + 2), std::to_string(s.min + 3)};
    } else {
      values = {"from-profile", "from-environment", "from-flag"};
    }
    const std::string profile_file = (dir / (s.key + ".json")).string();
    const std::string json_value = s.kind == 't' ? "\"" + values[0] + "\"" : values[0];
    std::ofstream(profile_file) << "{\"" << s.key << "\": " << json_value << "}";

    auto compose = [&](bool with_profile, bool with_env, bool with_flag) {
      ScopedEnv env(s.env.empty() ? "KREST_UNUSED_FOR_THE_TEST" : s.env.c_str(),
                    with_env && !s.env.empty() ? values[1].c_str() : nullptr);
      // As in krest: several subcommands, each with the connection options, one flags object.
      CLI::App app;
      krest::cli::ConnectionFlags flags;
      for (const char* sub : {"load", "tail", "topics"})
        krest::cli::add_connection_options(*app.add_subcommand(sub), flags);
      std::vector<std::string> args = {"tail"};
      if (with_profile) args.insert(args.end(), {"--config", profile_file});
      if (with_flag) args.push_back(s.kind == 'b' ? s.flag + "=" + values[2] : s.flag + "=" + values[2]);
      std::vector<const char*> argv = {"krest"};
      for (const auto& a : args) argv.push_back(a.c_str());
      app.parse(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
      return setting_text(krest::cli::compose_profile(flags), s.key);
    };
    const std::string fallback = setting_text(ConnectionProfile{}, s.key);
    CHECK(compose(false, false, false) == fallback);
    CHECK(compose(true, false, false) == values[0]);
    if (!s.env.empty()) {
      CHECK(compose(true, true, false) == values[1]);
      CHECK(compose(false, true, false) == values[1]);
    }
    CHECK(compose(true, true, true) == values[2]);
    CHECK(compose(false, false, true) == values[2]);
  }
}
