#pragma once
// librdkafka's statistics (statistics.interval.ms), reduced to Prometheus gauges per client
// (producer, each consumer): messages queued, requests and bytes to and from brokers, retries,
// brokers up, and round-trip time.
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace krest::proxy {

class KafkaStats {
 public:
  // Called from librdkafka's threads with one statistics document.
  void update(std::string_view json);
  void append_metrics(std::string& out) const;

 private:
  struct Client {
    double msg_cnt = 0, msg_size = 0, tx = 0, tx_bytes = 0, rx = 0, rx_bytes = 0, txretries = 0;
    double brokers_up = 0, brokers = 0, rtt_avg_us = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Client> clients_;  // by librdkafka's client name
};

}  // namespace krest::proxy
