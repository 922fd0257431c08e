// krest-proxy: the HDInsight Kafka REST Proxy API v1 on one machine.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <boost/asio/ip/address.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <iostream>

#include "config/proxy_config.hpp"
#include "server/server.hpp"
#include "server/tls_setup.hpp"
#include "storage/embedded_log.hpp"

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

// Every partition keeps its active segment open, besides one descriptor per connection: use the
// hard limit on open files rather than the (often 1024) soft one, as nginx and Kafka deployments do.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run(const ProxyConfig& config) {
  raise_open_file_limit();
  EmbeddedLog storage(log_options(config));

  std::optional<boost::asio::ssl::context> tls;
  if (config.tls) {
    TlsFiles files{config.tls_cert, config.tls_key, false};
    if (files.cert.empty()) {
      files = ensure_self_signed(std::filesystem::path(config.data_dir) / "tls");
      spdlog::info("TLS: {} self-signed certificate {} (clients: trust it as their CA file)",
                   files.generated ? "generated" : "using", files.cert);
    }
    tls.emplace(make_server_tls(files));
  }
  if (config.auth == "none")
    spdlog::warn("AUTHENTICATION IS OFF (auth = none): anyone who can reach this port can read and write every topic");

  ProxyMetrics metrics;
  RouteContext routes{storage, metrics, config};
  Server server(config, routes, metrics, tls ? &*tls : nullptr);
  auto endpoint = server.bind();
  storage.set_advertised_port(endpoint.port());
  storage.start();

  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  std::printf("krest-proxy listening on %s://%s:%u\n", tls ? "https" : "http", host.c_str(), endpoint.port());
  std::fflush(stdout);

  server.run();
  storage.stop();  // syncs the log; the server (and the executors waiters post to) outlives this
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("krest-proxy"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  ProxyConfig config;
  CLI::App app{"krest-proxy: the HDInsight Kafka REST Proxy API v1 over HTTPS, on an embedded durable log"};
  app.set_version_flag("--version", "krest-proxy 0.1.0");
  bool print_config_table = false;
  app.add_flag("--print-config-table", print_config_table, "print every setting as a Markdown table and exit");
  add_config_options(app, config);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (print_config_table) {
    std::cout << describe_fields();
    return 0;
  }
  if (auto problems = validate(config); !problems.empty()) {
    for (const auto& p : problems) std::cerr << "krest-proxy: config: " << p << "\n";
    return 2;
  }
  try {
    return run(config);
  } catch (const std::exception& e) {
    std::cerr << "krest-proxy: " << e.what() << "\n";
    return 1;
  }
}
