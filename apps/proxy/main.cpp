// krest-proxy: the HDInsight Kafka REST Proxy API v1 on one machine.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/thread_pool.hpp>

#include <sys/resource.h>

#include <csignal>
#include <ctime>

#include <cstdio>
#include <iostream>
#include <thread>

#include "access/authenticator.hpp"
#include "authority/authority.hpp"
#include "authority/secret_checks.hpp"
#include "authority/secret_hash.hpp"
#include "config/proxy_config.hpp"
#include "parse_error_line.hpp"
#include "quota/caller_quotas.hpp"
#include "server/server.hpp"
#include "server/server_tls.hpp"
#include "server/tls_setup.hpp"
#include "storage/embedded/embedded_log.hpp"
#include "storage/kafka/kafka_backend.hpp"

namespace {

using namespace krest::proxy;

EmbeddedLogOptions log_options(const ProxyConfig& c) {
  EmbeddedLogOptions o;
  o.data_dir = c.data_dir;
  o.durability = c.durability == "fsync"      ? DurabilityPolicy::fsync
                 : c.durability == "interval" ? DurabilityPolicy::interval
                                              : DurabilityPolicy::none;
  o.fsync_interval = std::chrono::milliseconds(c.fsync_interval_ms);
  o.default_partitions = static_cast<std::int32_t>(c.default_partitions);
  o.default_retention_ms = c.default_retention_ms;
  o.default_retention_bytes = c.default_retention_bytes;
  o.default_segment_bytes = c.default_segment_bytes;
  o.default_max_message_bytes = c.default_max_message_bytes;
  o.retention_interval = std::chrono::milliseconds(c.retention_check_interval_ms);
  o.advertised_host = c.advertised_host;
  return o;
}

KafkaOptions kafka_options(const ProxyConfig& c) {
  KafkaOptions o;
  o.bootstrap_servers = c.kafka_bootstrap_servers;
  o.properties = c.kafka_properties;
  o.default_partitions = static_cast<std::int32_t>(c.default_partitions);
  o.default_replication_factor = static_cast<std::int32_t>(c.default_replication_factor);
  o.consumers = static_cast<std::size_t>(c.kafka_consumers);
  o.read_threads = static_cast<std::size_t>(c.kafka_read_threads);
  o.open_partitions = static_cast<std::size_t>(c.kafka_open_partitions);
  o.partition_idle = std::chrono::milliseconds(c.kafka_partition_idle_ms);
  o.metadata_refresh = std::chrono::milliseconds(c.kafka_metadata_refresh_ms);
  o.request_timeout = std::chrono::milliseconds(c.kafka_request_timeout_ms);
  o.fetch_timeout = std::chrono::milliseconds(c.kafka_fetch_timeout_ms);
  o.admin_timeout = std::chrono::milliseconds(c.kafka_admin_timeout_ms);
  return o;
}

// Every partition keeps its active segment open, besides one descriptor per connection: use the
// hard limit on open files rather than the (often 1024) soft one, as nginx and Kafka deployments do.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// `quotas`: the settings' quotas, parsed once by the caller (the groups with a quota are kept with
// each token's verdict).
TokenPolicy token_policy(const ProxyConfig& c, const QuotaSettings& quotas) {
  TokenPolicy policy;
  policy.issuers = c.auth_issuers;
  policy.audiences = c.auth_audiences;
  policy.allowed_groups = c.auth_allowed_groups;
  policy.allowed_principals = c.auth_allowed_principals;
  policy.clock_skew_s = c.auth_clock_skew_s;
  for (const auto& [group, rates] : quotas.groups) policy.quota_groups.push_back(group);
  return policy;
}

std::unique_ptr<Authenticator> make_authenticator(const ProxyConfig& c, const QuotaSettings& quotas,
                                                  Authority* authority) {
  if (c.auth != "jwt") return nullptr;
  std::unique_ptr<KeySource> keys;
  if (!c.auth_jwks_file.empty()) {
    keys = make_jwks_file_keys(c.auth_jwks_file);
  } else if (!c.auth_authority.empty()) {
    DiscoveredKeysOptions o;
    o.authority = c.auth_authority;
    o.tls.ca_file = c.auth_ca_file;
    o.refresh_interval = std::chrono::milliseconds(c.auth_keys_refresh_ms);
    o.min_refresh_interval = std::chrono::milliseconds(c.auth_keys_min_refresh_ms);
    keys = make_discovered_keys(std::move(o));
  } else {
    keys = authority->key_source();
  }
  TokenPolicy policy = token_policy(c, quotas);
  spdlog::info("auth: JWT bearer tokens, keys from {}; {} allowed group(s), {} allowed principal(s)", keys->describe(),
               policy.allowed_groups.size(), policy.allowed_principals.size());
  return std::make_unique<Authenticator>(std::move(policy), std::move(keys));
}

// Reads a client secret from stdin (never from the command line, where `ps` shows it) and prints
// its hash for an authority file.
int print_secret_hash() {
  std::string secret;
  std::getline(std::cin, secret);
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.size() < 16) {
    std::cerr << "krest-proxy: --hash-secret: give the secret on stdin; at least 16 characters\n";
    return 2;
  }
  std::cout << hash_secret(secret) << "\n";
  return 0;
}

// Records, keys and certificates are the proxy's alone (or its group's, when asked): everything it
// creates gets no permission for others, and the data directory itself none either, which also
// closes files an earlier version left readable.
void keep_data_private(const ProxyConfig& config) {
  ::umask(config.data_group_readable ? 027 : 077);
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  const auto mode = config.data_group_readable ? std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                     std::filesystem::perms::group_exec
                                               : std::filesystem::perms::owner_all;
  std::filesystem::permissions(config.data_dir, mode, ec);
  if (ec) spdlog::warn("cannot restrict the permissions of {}: {}", config.data_dir, ec.message());
}

std::string utc_text(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

// What SIGHUP reloads, besides the settings composed afresh from the --config file and flags.
struct Reloadable {
  ServerTls* tls = nullptr;
  ProxyMetrics* metrics = nullptr;
  CallerQuotas* quotas = nullptr;
  Authority* authority = nullptr;
  std::string authority_file;  // as started: another path takes a restart
  Authenticator* authenticator = nullptr;
};

// The authority file again: its applications replace the registered ones.
void reload_authority(const Reloadable& r, const ProxyConfig& fresh) {
  if (fresh.authority_file != r.authority_file)
    spdlog::warn("reload: authority_file changed to '{}': that takes a restart; reading '{}' again",
                 fresh.authority_file, r.authority_file);
  AuthorityConfig file;
  try {
    file = read_authority_config(r.authority_file);
  } catch (const std::exception& e) {
    spdlog::error("reload: kept the registered applications: {}", e.what());
    return;
  }
  const auto kept = r.authority->replace_applications(file);
  spdlog::info("reload: authority: {} application(s) registered", file.applications.size());
  for (const auto& setting : kept)
    spdlog::warn("reload: authority setting '{}' changed in {}: that takes a restart; kept the one in use", setting,
                 r.authority_file);
}

// SIGHUP: the certificate and key files again, and the settings that can change without a restart
// (quotas; the token policy: issuers, audiences, allowed groups and principals) from the --config
// file and flags composed afresh, the authority's applications and a JWK set file read again.
// Whatever cannot be used is refused with a log line, and what is in use stays.
void reload(const ConfigFlags& flags, const Reloadable& r) {
  ServerTls* tls = r.tls;
  ProxyMetrics& metrics = *r.metrics;
  CallerQuotas& quotas = *r.quotas;
  if (tls) {
    if (const std::string problem = tls->reload(); !problem.empty()) {
      spdlog::error("reload: kept the TLS certificate in use: {}", problem);
    } else {
      metrics.set_tls_expiry(tls->expires_at());
      spdlog::info("reload: new connections get the TLS certificate {} (valid until {} UTC)", tls->files().cert,
                   utc_text(tls->expires_at()));
    }
  }
  ProxyConfig fresh;
  try {
    compose_config(fresh, flags);
  } catch (const std::exception& e) {
    spdlog::error("reload: kept the settings in use: {}", e.what());
    return;
  }
  if (auto problems = validate(fresh); !problems.empty()) {
    spdlog::error("reload: kept the settings in use: {}", problems.front());
    return;
  }
  const QuotaSettings fresh_quotas = quota_settings(fresh);
  quotas.update(fresh_quotas);
  spdlog::info("reload: quotas {}", quotas.enabled() ? "set" : "off");
  if (r.authority) reload_authority(r, fresh);
  if (r.authenticator) {
    if (fresh.auth != "jwt") spdlog::warn("reload: auth changed to '{}': that takes a restart", fresh.auth);
    r.authenticator->replace_policy(token_policy(fresh, fresh_quotas));
    spdlog::info("reload: auth: {} allowed group(s), {} allowed principal(s)", fresh.auth_allowed_groups.size(),
                 fresh.auth_allowed_principals.size());
    if (const std::string problem = r.authenticator->keys().reload(); !problem.empty())
      spdlog::error("reload: kept the signing keys in use: {}", problem);
  }
}

int run(const ProxyConfig& config, const ConfigFlags& flags) {
  raise_open_file_limit();
  keep_data_private(config);
  std::unique_ptr<Storage> backend;
  if (config.backend == "kafka") {
    backend = std::make_unique<KafkaBackend>(kafka_options(config));
    spdlog::info("backend: Kafka cluster at {}", config.kafka_bootstrap_servers);
  } else {
    backend = std::make_unique<EmbeddedLog>(log_options(config));
  }
  Storage& storage = *backend;

  std::unique_ptr<ServerTls> tls;
  if (config.tls) {
    TlsFiles files{config.tls_cert, config.tls_key, false};
    if (files.cert.empty()) {
      files = ensure_self_signed(std::filesystem::path(config.data_dir) / "tls");
      spdlog::info("TLS: {} self-signed certificate {} (clients: trust it as their CA file)",
                   files.generated ? "generated" : "using", files.cert);
    }
    tls = std::make_unique<ServerTls>(files);
  }
  if (config.auth == "none" && config.serve_api)
    spdlog::warn("AUTHENTICATION IS OFF (auth = none): anyone who can reach this port can read and write every topic");

  std::unique_ptr<Authority> authority;
  if (!config.authority_file.empty()) {
    authority = std::make_unique<Authority>(read_authority_config(config.authority_file),
                                            std::filesystem::path(config.data_dir) / "authority" / "keys");
  }
  const QuotaSettings quota = quota_settings(config);
  auto authenticator = make_authenticator(config, quota, authority.get());
  std::unique_ptr<SecretChecks> secret_checks;
  if (authority) {
    secret_checks = std::make_unique<SecretChecks>(*authority);
    // Tokens are this authority's own (no other key source configured): each is checked against
    // its registrations.
    if (authenticator && config.auth_jwks_file.empty() && config.auth_authority.empty())
      authenticator->require_registered([a = authority.get()](std::string_view principal) { return a->is_registered(principal); });
  }

  ProxyMetrics metrics;
  if (tls) metrics.set_tls_expiry(tls->expires_at());
  CallerQuotas quotas(quota);
  RouteContext routes{storage, metrics, config, authenticator.get(), authority.get(), secret_checks.get(), &quotas};
  Server server(config, routes, metrics, tls.get());
  // After the server: destroyed (joined) before it, so no body is parsed for a request whose
  // io_context has gone.
  boost::asio::thread_pool large_bodies(config.threads > 0 ? static_cast<std::size_t>(config.threads)
                                                           : std::max(1u, std::thread::hardware_concurrency()));
  routes.large_bodies = &large_bodies;
  routes.memory = &server.memory();
  Reloadable reloadable{tls.get(), &metrics, &quotas, authority.get(), config.authority_file, authenticator.get()};
  server.on_reload([&] { reload(flags, reloadable); });
  if (config.watch_files) {
    std::vector<std::filesystem::path> watched;
    for (const auto& f : config_files(flags)) watched.emplace_back(f);
    for (const std::string* f : {&config.tls_cert, &config.tls_key, &config.authority_file, &config.auth_jwks_file})
      if (!f->empty()) watched.emplace_back(*f);
    try {
      if (!watched.empty()) server.watch_files(watched);
    } catch (const std::exception& e) {
      spdlog::warn("files are not watched for changes (SIGHUP still reloads): {}", e.what());
    }
  }
  auto endpoint = server.bind();
  storage.listening_on(endpoint.port());
  storage.start();

  const char* scheme = tls ? "https" : "http";
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  std::printf("krest-proxy listening on %s://%s:%u\n", scheme, host.c_str(), endpoint.port());
  if (authority) {
    authority->set_public_url(config.authority_public_url.empty()
                                  ? std::string(scheme) + "://localhost:" + std::to_string(endpoint.port())
                                  : config.authority_public_url);
    spdlog::info("authority: development token authority at {} ({} application(s), tokens live {} s)",
                 authority->authority_url(), authority->applications()->size(),
                 authority->config().token_lifetime_s);
    std::printf("krest-proxy authority at %s\n", authority->authority_url().c_str());
  }
  std::fflush(stdout);

  server.run();
  large_bodies.join();  // what a request past the shutdown grace left running there, before the log stops
  storage.stop();  // syncs the log; the server (and the executors waiters post to) outlives this
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A write past the file size limit (ulimit -f) must fail with EFBIG, answered as a full disk
  // (507), rather than kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  spdlog::set_default_logger(spdlog::stderr_color_mt("krest-proxy"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  ProxyConfig config;
  CLI::App app{"krest-proxy: the HDInsight Kafka REST Proxy API v1 over HTTPS, on an embedded durable log"};
  app.set_version_flag("--version", "krest-proxy 0.1.0");
  bool print_config_table = false;
  app.add_flag("--print-config-table", print_config_table, "print every setting as a Markdown table and exit");
  bool hash_secret_only = false;
  app.add_flag("--hash-secret", hash_secret_only,
               "read a client secret from stdin, print its hash for an authority file, and exit");
  ConfigFlags flags;
  add_config_options(app, flags);
  try {
    app.parse(argc, argv);
    compose_config(config, flags);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line and exit code 2, as for any other wrong setting (CLI11's own codes are 100 and up).
    std::cerr << "krest-proxy: " << krest::parse_error_line(app, e) << " (see krest-proxy --help)\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "krest-proxy: " << e.what() << "\n";
    return 2;
  }
  if (print_config_table) {
    std::cout << describe_fields();
    return 0;
  }
  if (hash_secret_only) return print_secret_hash();
  if (auto problems = validate(config); !problems.empty()) {
    for (const auto& p : problems) std::cerr << "krest-proxy: config: " << p << "\n";
    return 2;
  }
  try {
    return run(config, flags);
  } catch (const std::exception& e) {
    std::cerr << "krest-proxy: " << e.what() << "\n";
    return 1;
  }
}
