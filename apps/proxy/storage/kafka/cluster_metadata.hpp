#pragma once
// The cluster's topics, partitions (leader, replicas, ISR) and brokers, refreshed in the
// background so that listing and routing never wait on a broker; refreshed at once on demand
// when a topic is not (yet) known.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/metadata_body.hpp"

namespace krest::proxy {

struct ClusterSnapshot {
  struct Partition {
    std::int32_t id = 0;
    std::int32_t leader = -1;
    std::vector<std::int32_t> replicas;
    std::vector<std::int32_t> isr;
  };
  std::map<std::int32_t, api::BrokerEndpoint> brokers;
  std::map<std::string, std::vector<Partition>> topics;  // partitions in id order

  api::BrokerEndpoint broker(std::int32_t id) const;  // a placeholder for an unknown id
};

class ClusterMetadata {
 public:
  // `rk` must outlive this.
  ClusterMetadata(rd_kafka_t* rk, std::chrono::milliseconds refresh_interval, std::chrono::milliseconds timeout);
  ~ClusterMetadata();

  void start();
  void stop();

  // The latest snapshot; null until the first refresh succeeded.
  std::shared_ptr<const ClusterSnapshot> snapshot() const;
  // Blocking: asks the brokers now. Throws ProxyError(unavailable) when none answers.
  std::shared_ptr<const ClusterSnapshot> refresh();
  // Why the cluster cannot be reached, or empty: nothing has been heard from it for three
  // refresh intervals (or ever).
  std::string unhealthy() const;

 private:
  void run();

  rd_kafka_t* rk_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::shared_ptr<const ClusterSnapshot> current_;  // guarded by mu_
  std::chrono::steady_clock::time_point last_success_{};
  std::string last_error_ = "no answer from the brokers yet";
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace krest::proxy
