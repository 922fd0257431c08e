#pragma once
// krest-proxy's configuration: a plain struct with its defaults here, filled from a JSON file
// (--config) and then from flags, both through the one field table in proxy_config.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace krest::proxy {

struct ProxyConfig {
  std::string listen = "127.0.0.1:8443";
  std::string data_dir = "krest-data";
  bool data_group_readable = false;  // data 0750/0640 (the group may read) instead of 0700/0600
  bool tls = true;       // false: plain HTTP, for use behind a TLS-terminating load balancer
  std::string tls_cert;  // PEM chain; with tls_key. Empty: a self-signed pair in <data_dir>/tls/
  std::string tls_key;
  bool watch_files = true;  // reload when a file read at a reload changes, as on SIGHUP
  std::int64_t threads = 0;  // 0: one per core
  std::string auth = "jwt";  // jwt | none

  // Token validation (auth = jwt). Keys come from auth_jwks_file, or from auth_authority's
  // discovery document, or from the development authority in this process (authority_file).
  std::string auth_authority;  // e.g. https://login.microsoftonline.com/<tenant>
  std::string auth_jwks_file;
  std::string auth_ca_file;               // trust for fetching from auth_authority; empty: the system's
  std::vector<std::string> auth_issuers;  // empty: the issuer the key source names
  std::vector<std::string> auth_audiences = {"https://hib.azurehdinsight.net", "7865c1d2-f040-46cc-875f-831a1ef6a28a"};
  std::vector<std::string> auth_allowed_groups;
  std::vector<std::string> auth_allowed_principals;  // oid or appid values let in without a group
  std::int64_t auth_clock_skew_s = 60;
  std::int64_t auth_keys_refresh_ms = 3600000;
  std::int64_t auth_keys_min_refresh_ms = 10000;
  bool auth_status_requires_token = false;

  // The development token authority (enabled by authority_file).
  std::string authority_file;
  std::string authority_public_url;  // how clients reach it; empty: https://localhost:<port>
  bool serve_api = true;             // false: serve only the authority (and /health)
  std::int64_t authority_refusal_delay_ms = 1000;  // a wrong or throttled secret's answer waits this long

  // Limits.
  std::int64_t max_header_bytes = 16 * 1024;
  std::int64_t max_body_bytes = 64 * 1024 * 1024;
  std::int64_t max_body_memory_bytes = 0;  // 0: the smaller of 1 GiB and a quarter of the memory
  std::int64_t max_records_per_request = 100000;
  std::int64_t max_consume_count = 100000;
  std::int64_t max_connections = 10000;
  std::int64_t max_connections_per_source = 1024;  // from one address
  std::int64_t max_partitions_per_topic = 1000;  // each partition keeps its active segment open

  // Quotas per caller (the token's application or object id; the address without auth), 0: none.
  std::int64_t quota_requests_per_s = 0;
  std::int64_t quota_produce_bytes_per_s = 0;
  std::int64_t quota_consume_bytes_per_s = 0;
  std::int64_t quota_burst_ms = 1000;       // each bucket holds this much of its rate
  std::vector<std::string> quota_callers;  // "CALLER requests_per_s=N produce_bytes_per_s=N consume_bytes_per_s=N"
  std::vector<std::string> quota_groups;   // "GROUP requests_per_s=N ...": shared by the group's members

  // Content codings (gzip, zstd): of request bodies accepted, of responses when the client asks.
  std::string compression = "auto";  // auto (both) | gzip | zstd | none
  std::int64_t compression_level = 1;
  std::int64_t compression_min_bytes = 1024;

  // Timeouts, milliseconds.
  std::int64_t idle_timeout_ms = 60000;       // keep-alive connection with no request in progress
  std::int64_t header_timeout_ms = 10000;     // from a request's first byte to the end of its header
  std::int64_t body_timeout_ms = 60000;       // to receive the body
  std::int64_t write_timeout_ms = 60000;      // to send a response
  std::int64_t handshake_timeout_ms = 10000;  // TLS handshake
  std::int64_t shutdown_grace_ms = 10000;     // SIGTERM: time given to requests in flight

  // The backend: the embedded log, or a Kafka cluster through librdkafka.
  std::string backend = "embedded";  // embedded | kafka
  std::string kafka_bootstrap_servers;
  std::vector<std::string> kafka_properties;  // librdkafka "key=value" (security.protocol, sasl.*, ssl.*)
  std::int64_t kafka_consumers = 2;
  std::int64_t kafka_read_threads = 16;
  std::int64_t kafka_open_partitions = 256;
  std::int64_t kafka_partition_idle_ms = 60000;
  std::int64_t kafka_metadata_refresh_ms = 10000;
  std::int64_t kafka_request_timeout_ms = 20000;  // under a client's own 30 s
  std::int64_t kafka_admin_timeout_ms = 15000;
  std::int64_t kafka_fetch_timeout_ms = 10000;
  std::int64_t default_replication_factor = -1;  // kafka: -1 is the brokers' default

  // The embedded log.
  std::string durability = "fsync";  // fsync | interval | none
  std::int64_t fsync_interval_ms = 1000;
  std::int64_t default_partitions = 1;
  std::int64_t default_retention_ms = 7LL * 24 * 3600 * 1000;
  std::int64_t default_retention_bytes = -1;
  std::int64_t default_segment_bytes = 128LL * 1024 * 1024;
  std::int64_t default_max_message_bytes = 1048588;  // Kafka's default
  std::int64_t retention_check_interval_ms = 5000;
  std::string advertised_host = "localhost";  // reported as the broker's hostName
};

// What the command line gave: --config and the flags, applied by compose_config() once it is parsed.
struct ConfigFlags {
  ConfigFlags();
  ~ConfigFlags();
  ConfigFlags(const ConfigFlags&) = delete;
  ConfigFlags& operator=(const ConfigFlags&) = delete;
  struct Given;
  std::unique_ptr<Given> given;
};

// Adds --config and one flag per field.
void add_config_options(CLI::App& app, ConfigFlags& flags);
// The --config files given on the command line.
std::vector<std::string> config_files(const ConfigFlags& flags);
// The --config file, then the flags over it. Throws std::invalid_argument naming the source.
void compose_config(ProxyConfig& config, const ConfigFlags& flags);

// Applies a JSON config document. Throws std::invalid_argument naming the field and the problem.
void apply_json_config(ProxyConfig& config, const std::string& json_text, const std::string& origin);

// Checks every field and cross-field rule; returns all problems found (empty when valid).
std::vector<std::string> validate(const ProxyConfig& config);

// The table as Markdown, for docs/CONFIGURATION.md.
std::string describe_fields();

}  // namespace krest::proxy
