#pragma once
// How every subcommand reaches a proxy: the endpoint, TLS trust and credentials, from a JSON profile
// (--config), environment variables and flags, through one settings table. Secrets come only from
// the environment or a file, never from a flag, so they do not show in `ps` or shell history.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "krest/client.hpp"

namespace CLI {
class App;
}

namespace krest::cli {

struct ConnectionProfile {
  std::string endpoint;
  std::string ca_file;
  bool insecure = false;
  std::string auth = "auto";  // auto | none | token | client-credentials
  std::string tenant;
  std::string client_id;
  std::string client_secret_file;  // else the secret comes from KREST_CLIENT_SECRET
  std::string authority = "https://login.microsoftonline.com/{tenant}";
  std::string authority_ca_file;  // empty: ca_file
  std::string scope = "https://hib.azurehdinsight.net/.default";
  std::string token_file;  // a static bearer token; else KREST_TOKEN
  std::int64_t token_wait_ms = 30000;
  std::string connections = "auto";  // auto | auto:N | N
  std::string compression = "auto";  // auto | none | gzip | zstd
  std::int64_t connect_timeout_ms = 10000;
  std::int64_t request_timeout_ms = 30000;
};

// What the command line gave for the connection: --config and the flags, applied by
// compose_profile() once it is parsed.
struct ConnectionFlags {
  ConnectionFlags();
  ~ConnectionFlags();
  ConnectionFlags(const ConnectionFlags&) = delete;
  ConnectionFlags& operator=(const ConnectionFlags&) = delete;
  struct Given;
  std::unique_ptr<Given> given;
};

// Adds --config and one flag per setting to a subcommand. `flags` must outlive the parse.
void add_connection_options(CLI::App& app, ConnectionFlags& flags);

// The profile from every source, least specific first: the defaults, the --config file, the
// KREST_* environment, the flags (a flag beats its variable, which beats the profile). Throws
// UsageError naming the source and the setting.
ConnectionProfile compose_profile(const ConnectionFlags& flags);

// Applies a JSON profile (what --config reads). Throws std::invalid_argument naming the setting.
void apply_connection_json(ConnectionProfile& profile, const std::string& json_text, const std::string& origin);

// The engine's options for this profile, reading the secret or token it names. Throws UsageError
// naming what is missing or wrong.
ClientOptions client_options(const ConnectionProfile& profile);

// The settings as a Markdown table, for docs/CLI.md.
std::string describe_connection_settings();

// Every setting by name, for tests that go through all of them: its JSON key, flag and
// environment variable (empty when none), its allowed values (for choices), its range (for
// numbers), and its value in a profile as text.
struct SettingName {
  std::string key, flag, env;
  char kind;  // 't' text, 'n' number, 'b' switch
  std::vector<std::string> choices;
  std::int64_t min = 0, max = 0;
};
std::vector<SettingName> connection_setting_names();
std::string setting_text(const ConnectionProfile& profile, const std::string& key);

}  // namespace krest::cli
