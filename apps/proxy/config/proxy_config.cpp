#include "config/proxy_config.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <variant>

namespace krest::proxy {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

// One row per setting: its name (the JSON key; the flag is the same with dashes), what it means,
// where it lives in the struct, and its allowed values. Everything else is derived from this table.
struct Field {
  const char* name;
  const char* help;
  std::variant<std::int64_t ProxyConfig::*, std::string ProxyConfig::*, bool ProxyConfig::*,
               std::vector<std::string> ProxyConfig::*>
      member;
  std::int64_t min = 0;
  std::int64_t max = kMaxInt;
  std::vector<std::string> choices = {};
};

const std::vector<Field>& fields() {
  // One row per setting reads as the table it is, so the formatter leaves it alone.
  // clang-format off
  static const std::vector<Field> table = {
      {"listen", "HOST:PORT to listen on (port 0 picks a free port)", &ProxyConfig::listen},
      {"data_dir", "directory of the embedded log", &ProxyConfig::data_dir},
      {"tls", "serve HTTPS (false: plain HTTP behind a TLS load balancer)", &ProxyConfig::tls},
      {"tls_cert", "PEM certificate chain; empty: a self-signed one in <data_dir>/tls/", &ProxyConfig::tls_cert},
      {"tls_key", "PEM private key for tls_cert", &ProxyConfig::tls_key},
      {"threads", "I/O threads; 0 = one per core", &ProxyConfig::threads, 0, 256},
      {"auth", "authentication of API requests: jwt (Entra-style bearer tokens) or none", &ProxyConfig::auth, 0, 0, {"jwt", "none"}},
      {"auth_authority", "token authority whose discovery document gives the signing keys, e.g. https://login.microsoftonline.com/TENANT", &ProxyConfig::auth_authority},
      {"auth_jwks_file", "JWK set file with the token signing keys (instead of auth_authority)", &ProxyConfig::auth_jwks_file},
      {"auth_ca_file", "PEM CA bundle trusted when fetching from auth_authority; empty: the system's", &ProxyConfig::auth_ca_file},
      {"auth_issuers", "accepted token issuers (iss); empty: the issuer the authority names", &ProxyConfig::auth_issuers},
      {"auth_audiences", "accepted token audiences (aud)", &ProxyConfig::auth_audiences},
      {"auth_allowed_groups", "group object ids whose members may use the API (403 for others)", &ProxyConfig::auth_allowed_groups},
      {"auth_allowed_principals", "application or object ids allowed without a group", &ProxyConfig::auth_allowed_principals},
      {"auth_clock_skew_s", "tolerance on exp and nbf, seconds", &ProxyConfig::auth_clock_skew_s, 0, 3600},
      {"auth_keys_refresh_ms", "how often signing keys are fetched again from auth_authority", &ProxyConfig::auth_keys_refresh_ms, 1000, 86400000},
      {"auth_keys_min_refresh_ms", "least time between fetches caused by tokens with unknown key ids", &ProxyConfig::auth_keys_min_refresh_ms, 0, 3600000},
      {"auth_status_requires_token", "require a token for GET /v1/status too", &ProxyConfig::auth_status_requires_token},
      {"authority_file", "JSON file enabling the development token authority (tenant, applications, lifetimes)", &ProxyConfig::authority_file},
      {"authority_public_url", "base URL clients use to reach the authority; empty: https://localhost:PORT", &ProxyConfig::authority_public_url},
      {"serve_api", "serve the Kafka REST API (false: only the authority)", &ProxyConfig::serve_api},
      {"max_header_bytes", "largest request header accepted (431 beyond)", &ProxyConfig::max_header_bytes, 1024, 1 << 20},
      {"max_body_bytes", "largest request body accepted (413 beyond)", &ProxyConfig::max_body_bytes, 1024, 1LL << 31},
      {"max_records_per_request", "most records in one produce request (413 beyond)", &ProxyConfig::max_records_per_request, 1, 10000000},
      {"max_consume_count", "largest consume count accepted (400 beyond)", &ProxyConfig::max_consume_count, 1, 10000000},
      {"max_connections", "open connections at most; more are closed at once", &ProxyConfig::max_connections, 1, 1000000},
      {"max_partitions_per_topic", "most partitions a topic may be created with (400 beyond)", &ProxyConfig::max_partitions_per_topic, 1, 100000},
      {"idle_timeout_ms", "close a keep-alive connection idle this long", &ProxyConfig::idle_timeout_ms, 10, 3600000},
      {"header_timeout_ms", "time from a request's first byte to the end of its header", &ProxyConfig::header_timeout_ms, 10, 3600000},
      {"body_timeout_ms", "time to receive a request body", &ProxyConfig::body_timeout_ms, 10, 3600000},
      {"write_timeout_ms", "time to send a response", &ProxyConfig::write_timeout_ms, 10, 3600000},
      {"handshake_timeout_ms", "time for the TLS handshake", &ProxyConfig::handshake_timeout_ms, 10, 3600000},
      {"shutdown_grace_ms", "on SIGINT/SIGTERM, time given to requests in flight", &ProxyConfig::shutdown_grace_ms, 0, 3600000},
      {"durability", "when a produce is acknowledged: fsync (group commit), interval, none", &ProxyConfig::durability, 0, 0, {"fsync", "interval", "none"}},
      {"fsync_interval_ms", "with durability=interval, how often the log is synced", &ProxyConfig::fsync_interval_ms, 1, 3600000},
      {"default_partitions", "partitions of a topic created without partition_count", &ProxyConfig::default_partitions, 1, 100000},
      {"default_retention_ms", "retention.ms of a topic that sets none (-1: keep forever)", &ProxyConfig::default_retention_ms, -1, kMaxInt},
      {"default_retention_bytes", "retention.bytes per partition of a topic that sets none (-1: no limit)", &ProxyConfig::default_retention_bytes, -1, kMaxInt},
      {"default_segment_bytes", "segment.bytes of a topic that sets none", &ProxyConfig::default_segment_bytes, 1024, 1LL << 40},
      {"default_max_message_bytes", "max.message.bytes of a topic that sets none", &ProxyConfig::default_max_message_bytes, 1, 1LL << 31},
      {"retention_check_interval_ms", "how often retention runs", &ProxyConfig::retention_check_interval_ms, 10, 3600000},
      {"advertised_host", "host name reported as the broker's hostName", &ProxyConfig::advertised_host},
  };
  // clang-format on
  return table;
}

std::string dashed(const char* name) {
  std::string s = name;
  for (auto& c : s)
    if (c == '_') c = '-';
  return s;
}

std::string range_text(const Field& f) {
  return "[" + std::to_string(f.min) + ", " + (f.max == kMaxInt ? std::string("max") : std::to_string(f.max)) + "]";
}

std::string check_int(const Field& f, std::int64_t v) {
  if (v < f.min || v > f.max)
    return std::string(f.name) + " = " + std::to_string(v) + " is out of range " + range_text(f);
  return {};
}

std::string check_string(const Field& f, const std::string& v) {
  if (f.choices.empty()) return {};
  for (const auto& c : f.choices)
    if (c == v) return {};
  std::string list;
  for (const auto& c : f.choices) list += (list.empty() ? "" : ", ") + c;
  return std::string(f.name) + " = '" + v + "' is not one of: " + list;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// Sets a field from text (a flag's value). Returns the problem, or empty.
std::string set_from_text(ProxyConfig& config, const Field& f, const std::string& text) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_reference_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          std::size_t used = 0;
          std::int64_t v = 0;
          try {
            v = std::stoll(text, &used);
          } catch (const std::exception&) {
            used = 0;
          }
          if (used != text.size() || text.empty()) return std::string(f.name) + " = '" + text + "' is not an integer";
          if (auto e = check_int(f, v); !e.empty()) return e;
          config.*member = v;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          config.*member = split_list(text);
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1")
            config.*member = true;
          else if (text == "false" || text == "0")
            config.*member = false;
          else
            return std::string(f.name) + " = '" + text + "' is not true or false";
        } else {
          if (auto e = check_string(f, text); !e.empty()) return e;
          config.*member = text;
        }
        return {};
      },
      f.member);
}

std::string set_from_json(ProxyConfig& config, const Field& f, const boost::json::value& v) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_reference_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          if (!v.is_int64()) return std::string(f.name) + " must be an integer";
          if (auto e = check_int(f, v.get_int64()); !e.empty()) return e;
          config.*member = v.get_int64();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          if (v.is_string()) {
            config.*member = split_list(std::string(v.get_string()));
            return {};
          }
          if (!v.is_array()) return std::string(f.name) + " must be an array of strings";
          std::vector<std::string> items;
          for (const auto& item : v.get_array()) {
            if (!item.is_string() || item.get_string().empty())
              return std::string(f.name) + " must be an array of non-empty strings";
            items.emplace_back(item.get_string());
          }
          config.*member = std::move(items);
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!v.is_bool()) return std::string(f.name) + " must be true or false";
          config.*member = v.get_bool();
        } else {
          if (!v.is_string()) return std::string(f.name) + " must be a string";
          std::string s(v.get_string());
          if (auto e = check_string(f, s); !e.empty()) return e;
          config.*member = s;
        }
        return {};
      },
      f.member);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read config file '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void apply_json_config(ProxyConfig& config, const std::string& json_text, const std::string& origin) {
  boost::json::error_code ec;
  auto doc = boost::json::parse(json_text, ec);
  if (ec) throw std::invalid_argument(origin + ": malformed JSON: " + ec.message());
  const auto* obj = doc.if_object();
  if (!obj) throw std::invalid_argument(origin + ": the config must be a JSON object");
  for (const auto& [key, value] : *obj) {
    const Field* field = nullptr;
    for (const auto& f : fields())
      if (key == f.name) field = &f;
    if (!field) throw std::invalid_argument(origin + ": unknown setting '" + std::string(key) + "'");
    if (auto e = set_from_json(config, *field, value); !e.empty()) throw std::invalid_argument(origin + ": " + e);
  }
}

void add_config_options(CLI::App& app, ProxyConfig& config) {
  // --config is declared first: CLI11 runs option callbacks in declaration order, so the file is
  // applied before the flags, and a flag given on the command line wins.
  app.add_option_function<std::string>(
         "--config",
         [&config](const std::string& path) {
           try {
             apply_json_config(config, read_file(path), path);
           } catch (const std::invalid_argument& e) {
             throw CLI::ValidationError("--config", e.what());
           }
         },
         "JSON file with any of the settings below (keys with underscores)")
      ->type_name("FILE");
  for (const auto& f : fields()) {
    auto flag = "--" + dashed(f.name);
    app.add_option_function<std::string>(
           flag,
           [&config, &f, flag](const std::string& text) {
             if (auto e = set_from_text(config, f, text); !e.empty()) throw CLI::ValidationError(flag, e);
           },
           f.help)
        ->type_name(std::holds_alternative<std::int64_t ProxyConfig::*>(f.member)               ? "INT"
                    : std::holds_alternative<bool ProxyConfig::*>(f.member)                     ? "BOOL"
                    : std::holds_alternative<std::vector<std::string> ProxyConfig::*>(f.member) ? "LIST"
                                                                                                : "TEXT");
  }
}

std::vector<std::string> validate(const ProxyConfig& config) {
  std::vector<std::string> problems;
  for (const auto& f : fields()) {
    std::string e = std::visit(
        [&](auto member) -> std::string {
          using T = std::remove_cvref_t<decltype(config.*member)>;
          if constexpr (std::is_same_v<T, std::int64_t>)
            return check_int(f, config.*member);
          else if constexpr (std::is_same_v<T, std::string>)
            return check_string(f, config.*member);
          else
            return {};
        },
        f.member);
    if (!e.empty()) problems.push_back(e);
  }
  if (config.tls_cert.empty() != config.tls_key.empty())
    problems.push_back("tls_cert and tls_key go together: give both or neither");
  if (config.data_dir.empty()) problems.push_back("data_dir is empty");
  if (config.default_partitions > config.max_partitions_per_topic)
    problems.push_back("default_partitions = " + std::to_string(config.default_partitions) +
                       " is more than max_partitions_per_topic = " + std::to_string(config.max_partitions_per_topic));
  if (config.auth == "jwt") {
    const int sources =
        !config.auth_jwks_file.empty() + !config.auth_authority.empty() + !config.authority_file.empty();
    if (sources == 0)
      problems.push_back(
          "auth = jwt needs signing keys: set auth_authority, auth_jwks_file or authority_file "
          "(or auth = none for a local experiment)");
    if (!config.auth_jwks_file.empty() && !config.auth_authority.empty())
      problems.push_back("auth_jwks_file and auth_authority are two sources of keys: give one");
    if (config.serve_api && config.auth_allowed_groups.empty() && config.auth_allowed_principals.empty())
      problems.push_back(
          "auth = jwt lets in members of auth_allowed_groups and auth_allowed_principals, and both are empty");
    if (!config.auth_jwks_file.empty() && config.auth_issuers.empty())
      problems.push_back("auth_jwks_file gives keys but no issuer: set auth_issuers");
    if (config.auth_audiences.empty()) problems.push_back("auth_audiences is empty: no token could be accepted");
  }
  if (!config.serve_api && config.authority_file.empty())
    problems.push_back("serve_api = false serves only the authority, and authority_file is not set");
  if (config.listen.rfind(':') == std::string::npos)
    problems.push_back("listen = '" + config.listen + "' is not HOST:PORT");
  return problems;
}

std::string describe_fields() {
  std::ostringstream out;
  ProxyConfig defaults;
  out << "| setting (JSON key) | flag | default | allowed | meaning |\n|---|---|---|---|---|\n";
  for (const auto& f : fields()) {
    std::string def = std::visit(
        [&](auto member) -> std::string {
          using T = std::remove_cvref_t<decltype(defaults.*member)>;
          if constexpr (std::is_same_v<T, std::int64_t>)
            return std::to_string(defaults.*member);
          else if constexpr (std::is_same_v<T, bool>)
            return defaults.*member ? "true" : "false";
          else if constexpr (std::is_same_v<T, std::vector<std::string>>)
            return "[" + join_list(defaults.*member) + "]";
          else
            return "\"" + defaults.*member + "\"";
        },
        f.member);
    std::string allowed;
    if (std::holds_alternative<std::int64_t ProxyConfig::*>(f.member)) allowed = range_text(f);
    for (const auto& c : f.choices) allowed += (allowed.empty() ? "" : ", ") + c;
    out << "| `" << f.name << "` | `--" << dashed(f.name) << "` | `" << def << "` | " << allowed << " | " << f.help
        << " |\n";
  }
  return out.str();
}

}  // namespace krest::proxy
