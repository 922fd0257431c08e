#include "config/proxy_config.hpp"

#include "quota/caller_quotas.hpp"
#include "settings_table.hpp"

namespace krest::proxy {
namespace {

using settings::kMaxInt;

// One row per setting: its name (the JSON key; the flag is the same with dashes), what it means,
// where it lives in the struct, and its allowed values. Everything else is derived from this table.
const settings::Table<ProxyConfig>& fields() {
  // One row per setting reads as the table it is, so the formatter leaves it alone.
  // clang-format off
  static const settings::Table<ProxyConfig> table = {
      {"listen", "HOST:PORT to listen on (port 0 picks a free port)", &ProxyConfig::listen},
      {"data_dir", "directory of the embedded log", &ProxyConfig::data_dir},
      {"data_group_readable", "let the data directory's group read it (directories 0750, files 0640); otherwise only the proxy's user can (0700, 0600)", &ProxyConfig::data_group_readable},
      {"tls", "serve HTTPS (false: plain HTTP behind a TLS load balancer)", &ProxyConfig::tls},
      {"tls_cert", "PEM certificate chain; empty: a self-signed one in <data_dir>/tls/", &ProxyConfig::tls_cert},
      {"tls_key", "PEM private key for tls_cert", &ProxyConfig::tls_key},
      {"watch_files", "reload (as on SIGHUP) when the --config file, tls_cert, tls_key, authority_file or auth_jwks_file changes", &ProxyConfig::watch_files},
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
      {"authority_refusal_delay_ms", "a token request refused for its secret (401, 429, 503) is answered after this long, so that a connection guessing secrets gets one answer per this at most; 0: at once", &ProxyConfig::authority_refusal_delay_ms, 0, 60000},
      {"serve_api", "serve the Kafka REST API (false: only the authority)", &ProxyConfig::serve_api},
      {"max_header_bytes", "largest request header accepted (431 beyond)", &ProxyConfig::max_header_bytes, 1024, 1 << 20},
      {"max_body_bytes", "largest request body accepted (413 beyond)", &ProxyConfig::max_body_bytes, 1024, 1LL << 31},
      {"max_body_memory_bytes", "memory for request bodies and unwritten answers over all connections, each body counted twice (as it came and as parsed) and a compressed one at what it decodes to (a request beyond is refused with 503 and Retry-After, from its header when its size is known; consume pages shrink to what is left); 0: the smaller of 1 GiB and a quarter of the machine's memory", &ProxyConfig::max_body_memory_bytes, 0, 1LL << 40},
      {"max_records_per_request", "most records in one produce request (413 beyond)", &ProxyConfig::max_records_per_request, 1, 10000000},
      {"max_consume_count", "largest consume count accepted (400 beyond)", &ProxyConfig::max_consume_count, 1, 10000000},
      {"max_connections", "open connections at most (and never more than the open-file limit leaves beside the storage's own); more are closed at once", &ProxyConfig::max_connections, 1, 1000000},
      {"max_connections_per_source", "open connections from one address at most, so that one client cannot take every slot", &ProxyConfig::max_connections_per_source, 1, 1000000},
      {"max_partitions_per_topic", "most partitions a topic may be created with (400 beyond)", &ProxyConfig::max_partitions_per_topic, 1, 100000},
      {"quota_requests_per_s", "API requests a second each caller may make (429 with Retry-After beyond); 0: no limit", &ProxyConfig::quota_requests_per_s, 0, 1000000000},
      {"quota_produce_bytes_per_s", "produce body bytes (uncompressed) a second each caller may send; 0: no limit", &ProxyConfig::quota_produce_bytes_per_s, 0, 1LL << 40},
      {"quota_consume_bytes_per_s", "consume body bytes (uncompressed) a second each caller may receive; 0: no limit", &ProxyConfig::quota_consume_bytes_per_s, 0, 1LL << 40},
      {"quota_burst_ms", "how much of its rates a caller may spend at once, as time", &ProxyConfig::quota_burst_ms, 1, 3600000},
      {"quota_callers", "a caller's own rates over the defaults: \"CALLER requests_per_s=N produce_bytes_per_s=N consume_bytes_per_s=N\" (any of them; CALLER is an appid, azp or oid, or an address without auth)", &ProxyConfig::quota_callers},
      {"quota_groups", "rates shared by every caller whose token has the group in its groups claim, on top of each caller's own: \"GROUP requests_per_s=N produce_bytes_per_s=N consume_bytes_per_s=N\" (any of them; a rate left out has no limit)", &ProxyConfig::quota_groups},
      {"compression", "content codings: of request bodies accepted (415 for others), of responses when the client's Accept-Encoding asks: auto (zstd and gzip), gzip, zstd, none", &ProxyConfig::compression, 0, 0, {"auto", "gzip", "zstd", "none"}},
      {"compression_level", "level responses are compressed at: zstd 1..19, gzip 1..9 (higher is clamped to 9)", &ProxyConfig::compression_level, 1, 19},
      {"compression_min_bytes", "responses smaller than this go uncompressed", &ProxyConfig::compression_min_bytes, 0, 1LL << 30},
      {"idle_timeout_ms", "close a keep-alive connection idle this long", &ProxyConfig::idle_timeout_ms, 10, 3600000},
      {"header_timeout_ms", "time from a request's first byte to the end of its header", &ProxyConfig::header_timeout_ms, 10, 3600000},
      {"body_timeout_ms", "time to receive a request body", &ProxyConfig::body_timeout_ms, 10, 3600000},
      {"write_timeout_ms", "time to send a response", &ProxyConfig::write_timeout_ms, 10, 3600000},
      {"handshake_timeout_ms", "time for the TLS handshake", &ProxyConfig::handshake_timeout_ms, 10, 3600000},
      {"shutdown_grace_ms", "on SIGINT/SIGTERM, time given to requests in flight", &ProxyConfig::shutdown_grace_ms, 0, 3600000},
      {"backend", "where records live: embedded (a durable log in data_dir) or kafka (a Kafka cluster)", &ProxyConfig::backend, 0, 0, {"embedded", "kafka"}},
      {"kafka_bootstrap_servers", "backend = kafka: the cluster's brokers, host:port,...", &ProxyConfig::kafka_bootstrap_servers},
      {"kafka_properties", "backend = kafka: librdkafka properties key=value (security.protocol, sasl.*, ssl.*; in a config file as a JSON array when a value has a comma)", &ProxyConfig::kafka_properties},
      {"kafka_consumers", "backend = kafka: librdkafka consumers the partitions being read are spread over", &ProxyConfig::kafka_consumers, 1, 64},
      {"kafka_read_threads", "backend = kafka: consume requests served at once", &ProxyConfig::kafka_read_threads, 1, 1024},
      {"kafka_open_partitions", "backend = kafka: partitions kept reading between requests, so a client's next page is already fetched (up to 2 MB prefetched each)", &ProxyConfig::kafka_open_partitions, 1, 100000},
      {"kafka_partition_idle_ms", "backend = kafka: a partition no request read this long stops being read ahead (its prefetch freed, its fetches stopped)", &ProxyConfig::kafka_partition_idle_ms, 100, 86400000},
      {"kafka_metadata_refresh_ms", "backend = kafka: how often topics and brokers are read again", &ProxyConfig::kafka_metadata_refresh_ms, 100, 3600000},
      {"kafka_request_timeout_ms", "backend = kafka: a produce's delivery, at most (librdkafka's message.timeout.ms)", &ProxyConfig::kafka_request_timeout_ms, 1000, 3600000},
      {"kafka_admin_timeout_ms", "backend = kafka: a topic create or delete, at most (then 503)", &ProxyConfig::kafka_admin_timeout_ms, 1000, 600000},
      {"kafka_fetch_timeout_ms", "backend = kafka: a consume waiting for a partition's leader, or a metadata query, at most (then 503)", &ProxyConfig::kafka_fetch_timeout_ms, 100, 600000},
      {"default_replication_factor", "backend = kafka: replicas of a topic created without replication_factor (-1: the brokers' default)", &ProxyConfig::default_replication_factor, -1, 100},
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

}  // namespace

void apply_json_config(ProxyConfig& config, const std::string& json_text, const std::string& origin) {
  settings::apply_json(config, fields(), json_text, origin);
}

struct ConfigFlags::Given : settings::CommandLine<ProxyConfig> {};
ConfigFlags::ConfigFlags() : given(std::make_unique<Given>()) {}
ConfigFlags::~ConfigFlags() = default;

void add_config_options(CLI::App& app, ConfigFlags& flags) {
  settings::add_options(app, *flags.given, fields(), "JSON file with any of the settings below (keys with underscores)");
}

std::vector<std::string> config_files(const ConfigFlags& flags) {
  std::vector<std::string> files;
  for (const CLI::Option* o : flags.given->config_files)
    if (o->count() > 0) files.push_back(o->as<std::string>());
  return files;
}

void compose_config(ProxyConfig& config, const ConfigFlags& flags) {
  // krest-proxy reads no environment: its settings come from the file and the command line.
  settings::compose(config, fields(), *flags.given, [](const char*) -> const char* { return nullptr; });
}

std::vector<std::string> validate(const ProxyConfig& config) {
  auto problems = settings::check(config, fields());
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
  if (config.backend == "kafka" && config.kafka_bootstrap_servers.empty())
    problems.push_back("backend = kafka needs kafka_bootstrap_servers (host:port of the cluster's brokers)");
  for (const auto& p : config.kafka_properties)
    if (p.find('=') == std::string::npos || p.front() == '=')
      problems.push_back("kafka_properties: '" + p.substr(0, p.find('=')) + "...' is not key=value");
  try {
    (void)quota_settings(config);
  } catch (const std::invalid_argument& e) {
    problems.push_back(e.what());
  }
  if (!config.serve_api && config.authority_file.empty())
    problems.push_back("serve_api = false serves only the authority, and authority_file is not set");
  if (const auto colon = config.listen.rfind(':'); colon == std::string::npos) {
    problems.push_back("listen = '" + config.listen + "' is not HOST:PORT");
  } else {
    const std::string port = config.listen.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stol(port) > 65535)
      problems.push_back("listen = '" + config.listen + "': the port must be 0..65535 (0 picks a free one)");
  }
  return problems;
}

std::string describe_fields() { return settings::describe(fields()); }

}  // namespace krest::proxy
