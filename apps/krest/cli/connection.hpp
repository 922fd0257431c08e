#pragma once
// How every subcommand reaches a proxy: the endpoint, TLS trust and credentials, from a JSON profile
// (--config), environment variables and flags, through one settings table. Secrets come only from
// the environment or a file, never from a flag, so they do not show in `ps` or shell history.
#include <cstdint>
#include <string>

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
  std::string connections = "auto";  // auto | auto:N | N
  std::string compression = "auto";  // auto | none | gzip | zstd
  std::int64_t connect_timeout_ms = 10000;
  std::int64_t request_timeout_ms = 30000;
};

// Adds --config and one flag per setting to a subcommand.
void add_connection_options(CLI::App& app, ConnectionProfile& profile);

// Applies a JSON profile (what --config reads). Throws std::invalid_argument naming the setting.
void apply_connection_json(ConnectionProfile& profile, const std::string& json_text, const std::string& origin);

// The engine's options for this profile, reading the secret or token it names. Throws UsageError
// naming what is missing or wrong.
ClientOptions client_options(const ConnectionProfile& profile);

// The settings as a Markdown table, for docs/CLI.md.
std::string describe_connection_settings();

}  // namespace krest::cli
