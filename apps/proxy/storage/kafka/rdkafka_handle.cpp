#include "storage/kafka/rdkafka_handle.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace krest::proxy {

std::vector<std::pair<std::string, std::string>> split_properties(const std::vector<std::string>& properties) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : properties) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("kafka_properties: '" + p + "' is not key=value");
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

RdKafkaHandle make_rdkafka(rd_kafka_type_t type, const KafkaOptions& options,
                           const std::vector<std::pair<std::string, std::string>>& defaults,
                           void (*configure)(rd_kafka_conf_t*, void*), void* opaque) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  auto set = [&](const std::string& key, const std::string& value, const char* origin) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      // The value is not repeated: a sasl.password must not end up in a log.
      throw std::invalid_argument(std::string(origin) + " '" + key + "': " + error);
    }
  };
  set("bootstrap.servers", options.bootstrap_servers, "kafka_bootstrap_servers");
  for (const auto& [k, v] : defaults) set(k, v, "krest default");
  for (const auto& [k, v] : split_properties(options.properties)) set(k, v, "kafka_properties");
  // librdkafka's own log lines (broker connections failing, and the like) go to the proxy's log.
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    const auto l = level <= 3 ? spdlog::level::err : level <= 4 ? spdlog::level::warn : level <= 6 ? spdlog::level::info : spdlog::level::debug;
    spdlog::log(l, "kafka {} {}: {}", rd_kafka_name(rk), facility, message);
  });
  if (configure) configure(conf, opaque);
  // rd_kafka_new owns the conf once it succeeds; on failure the conf is still ours.
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::invalid_argument(std::string("cannot make a Kafka client: ") + error);
  }
  return RdKafkaHandle(rk);
}

}  // namespace krest::proxy
