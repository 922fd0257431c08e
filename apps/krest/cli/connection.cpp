#include "cli/connection.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli/concurrency_option.hpp"
#include "cli/usage_error.hpp"
#include "settings_table.hpp"

namespace krest::cli {
namespace {

using P = ConnectionProfile;

const settings::Table<P>& table() {
  // clang-format off
  static const settings::Table<P> rows = {
      {"endpoint", "the proxy: https://CLUSTER-kafkarest.azurehdinsight.net or a krest-proxy URL; several, comma-separated, are used as one", &P::endpoint, 0, 0, {}, "KREST_ENDPOINT"},
      {"ca_file", "PEM file of CAs to trust instead of the system's store (a krest-proxy's cert.pem)", &P::ca_file, 0, 0, {}, "KREST_CA_FILE"},
      {"insecure", "do not verify the proxy's certificate (never in production)", &P::insecure, 0, 0, {}, "KREST_INSECURE"},
      {"auth", "auto (client-credentials when a client id is set, token when a token is, else none), none, token, client-credentials", &P::auth, 0, 0, {"auto", "none", "token", "client-credentials"}, "KREST_AUTH"},
      {"tenant", "Entra ID tenant (directory) id", &P::tenant, 0, 0, {}, "KREST_TENANT"},
      {"client_id", "application (client) id", &P::client_id, 0, 0, {}, "KREST_CLIENT_ID"},
      {"client_secret_file", "file holding the client secret (else the KREST_CLIENT_SECRET variable)", &P::client_secret_file, 0, 0, {}, "KREST_CLIENT_SECRET_FILE"},
      {"authority", "token authority; {tenant} is replaced", &P::authority, 0, 0, {}, "KREST_AUTHORITY"},
      {"authority_ca_file", "PEM CAs trusted for the authority; empty: ca_file", &P::authority_ca_file, 0, 0, {}, "KREST_AUTHORITY_CA_FILE"},
      {"scope", "scope of the token requested", &P::scope, 0, 0, {}, "KREST_SCOPE"},
      {"token_file", "file holding a bearer token (else the KREST_TOKEN variable)", &P::token_file, 0, 0, {}, "KREST_TOKEN_FILE"},
      {"token_wait_ms", "how long a request waits for an access token while the authority is slow or down (one that refuses connections, or whose certificate fails, ends it within 3 s)", &P::token_wait_ms, 100, 3600000},
      {"connections", "keep-alive connections to the proxy: auto (one more whenever all are busy), auto:N (so, up to N) or N (at most N)", &P::connections, 0, 0, {}, nullptr, true},
      {"compression", "gzip or zstd bodies: auto (requests compressed where the link is slower than compressing, only to a proxy that accepts them; answers asked for compressed, but those to requests sent plain by choice), none, gzip, zstd (always)", &P::compression, 0, 0, {"auto", "none", "gzip", "zstd"}, "KREST_COMPRESSION"},
      {"connect_timeout_ms", "time to connect and complete the TLS handshake", &P::connect_timeout_ms, 100, 600000},
      {"request_timeout_ms", "time to send a request and read its response", &P::request_timeout_ms, 100, 3600000},
  };
  // clang-format on
  return rows;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// A secret from a file, without the line end an editor or `echo` adds.
std::string read_secret_file(const std::string& path, const char* what) {
  std::string text;
  try {
    text = settings::read_text_file(path, what);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) throw UsageError(std::string(what) + " '" + path + "' is empty");
  return text;
}

}  // namespace

struct ConnectionFlags::Given : settings::CommandLine<ConnectionProfile> {};
ConnectionFlags::ConnectionFlags() : given(std::make_unique<Given>()) {}
ConnectionFlags::~ConnectionFlags() = default;

void add_connection_options(CLI::App& app, ConnectionFlags& flags) {
  const auto before = app.get_options().size();
  settings::add_options(app, *flags.given, table(),
                        "JSON profile with any of the connection settings (keys with underscores; see docs/CLI.md)");
  auto options = app.get_options();  // in the order they were added
  for (auto i = before; i < options.size(); ++i)
    options[i]->group("Connection (flag > KREST_* variable > --config profile)");
}

ConnectionProfile compose_profile(const ConnectionFlags& flags) {
  ConnectionProfile profile;
  try {
    settings::compose(profile, table(), *flags.given);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return profile;
}

void apply_connection_json(ConnectionProfile& profile, const std::string& json_text, const std::string& origin) {
  settings::apply_json(profile, table(), json_text, origin);
}

ClientOptions client_options(const ConnectionProfile& profile) {
  auto problems = settings::check(profile, table());
  if (!problems.empty()) throw UsageError(problems.front());
  if (profile.endpoint.empty())
    throw UsageError("no proxy endpoint: give --endpoint URL, set KREST_ENDPOINT, or put \"endpoint\" in --config");

  // Files named are readable now, or the command line is what is wrong (exit code 2).
  for (const auto& [file, setting] : {std::pair{profile.ca_file, "--ca-file"},
                                      std::pair{profile.authority_ca_file, "--authority-ca-file"}})
    if (!file.empty() && ::access(file.c_str(), R_OK) != 0)
      throw UsageError(std::string(setting) + " '" + file + "': " + std::strerror(errno));

  ClientOptions options;
  options.endpoint = profile.endpoint;
  options.tls.ca_file = profile.ca_file;
  options.tls.insecure = profile.insecure;
  options.pool.connections =
      parse_concurrency(profile.connections, "connections", PoolOptions{}.connections.max, 1024);
  options.pool.connect_timeout = std::chrono::milliseconds(profile.connect_timeout_ms);
  options.compression = profile.compression == "none"   ? Compression::none
                        : profile.compression == "gzip" ? Compression::gzip
                        : profile.compression == "zstd" ? Compression::zstd
                                                        : Compression::automatic;
  options.pool.request_timeout = std::chrono::milliseconds(profile.request_timeout_ms);

  std::string mode = profile.auth;
  const std::string token_env = env("KREST_TOKEN");
  if (mode == "auto")
    mode = !profile.client_id.empty()                          ? "client-credentials"
           : !profile.token_file.empty() || !token_env.empty() ? "token"
                                                               : "none";
  auto& auth = options.auth;
  if (mode == "token") {
    auth.mode = AuthOptions::Mode::static_token;
    auth.static_token = !profile.token_file.empty() ? read_secret_file(profile.token_file, "token file") : token_env;
    if (auth.static_token.empty()) throw UsageError("auth = token needs --token-file FILE or the KREST_TOKEN variable");
  } else if (mode == "client-credentials") {
    auth.mode = AuthOptions::Mode::client_credentials;
    auth.tenant = profile.tenant;
    auth.client_id = profile.client_id;
    auth.authority = profile.authority;
    auth.scope = profile.scope;
    auth.wait = std::chrono::milliseconds(profile.token_wait_ms);
    auth.tls.ca_file = profile.authority_ca_file.empty() ? profile.ca_file : profile.authority_ca_file;
    auth.tls.insecure = profile.insecure;
    auth.client_secret = !profile.client_secret_file.empty()
                             ? read_secret_file(profile.client_secret_file, "client secret file")
                             : env("KREST_CLIENT_SECRET");
    if (auth.client_id.empty())
      throw UsageError("auth = client-credentials needs --client-id (or KREST_CLIENT_ID)");
    if (auth.tenant.empty() && auth.authority.find("{tenant}") != std::string::npos)
      throw UsageError("auth = client-credentials needs --tenant (or KREST_TENANT)");
    if (auth.client_secret.empty())
      throw UsageError(
          "auth = client-credentials needs the client secret: set KREST_CLIENT_SECRET or give "
          "--client-secret-file FILE (never on the command line)");
  }
  if (auto wrong = validate(options); !wrong.empty()) throw UsageError(wrong.front());
  return options;
}

std::string describe_connection_settings() { return settings::describe(table()); }

std::vector<SettingName> connection_setting_names() {
  std::vector<SettingName> out;
  for (const auto& s : table()) {
    const char kind = std::holds_alternative<bool P::*>(s.member)           ? 'b'
                      : std::holds_alternative<std::int64_t P::*>(s.member) ? 'n'
                                                                            : 't';
    out.push_back({s.name, "--" + settings::dashed(s.name), s.env ? s.env : "", kind, s.choices, s.min, s.max});
  }
  return out;
}

std::string setting_text(const ConnectionProfile& profile, const std::string& key) {
  for (const auto& s : table())
    if (key == s.name) return settings::value_text(profile, s);
  return {};
}

}  // namespace krest::cli
