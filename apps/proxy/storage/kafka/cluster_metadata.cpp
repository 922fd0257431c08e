#include "storage/kafka/cluster_metadata.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "proxy_error.hpp"

namespace krest::proxy {

api::BrokerEndpoint ClusterSnapshot::broker(std::int32_t id) const {
  auto it = brokers.find(id);
  if (it != brokers.end()) return it->second;
  api::BrokerEndpoint unknown;
  unknown.id = id;
  return unknown;
}

ClusterMetadata::ClusterMetadata(rd_kafka_t* rk, std::chrono::milliseconds refresh_interval,
                                 std::chrono::milliseconds timeout)
    : rk_(rk), interval_(refresh_interval), timeout_(timeout) {}

ClusterMetadata::~ClusterMetadata() { stop(); }

void ClusterMetadata::start() {
  thread_ = std::thread([this] { run(); });
}

void ClusterMetadata::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const ClusterSnapshot> ClusterMetadata::snapshot() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::shared_ptr<const ClusterSnapshot> ClusterMetadata::refresh() {
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk_, 1, nullptr, &md, static_cast<int>(timeout_.count()));
  if (err) {
    std::lock_guard lock(mu_);
    last_error_ = std::string("metadata: ") + rd_kafka_err2str(err);
    throw ProxyError(ErrorKind::unavailable, "the Kafka cluster did not answer: " + std::string(rd_kafka_err2str(err)));
  }
  auto snap = std::make_shared<ClusterSnapshot>();
  for (int i = 0; i < md->broker_cnt; ++i) {
    const auto& b = md->brokers[i];
    snap->brokers[b.id] = api::BrokerEndpoint{b.host, b.port, b.id, std::nullopt};
  }
  for (int t = 0; t < md->topic_cnt; ++t) {
    const auto& topic = md->topics[t];
    if (topic.err || std::string_view(topic.topic).rfind("__", 0) == 0) continue;  // internal or broken
    std::vector<ClusterSnapshot::Partition> ps;
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const auto& part = topic.partitions[p];
      ClusterSnapshot::Partition out;
      out.id = part.id;
      out.leader = part.leader;
      out.replicas.assign(part.replicas, part.replicas + part.replica_cnt);
      out.isr.assign(part.isrs, part.isrs + part.isr_cnt);
      ps.push_back(std::move(out));
    }
    std::sort(ps.begin(), ps.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    snap->topics[topic.topic] = std::move(ps);
  }
  rd_kafka_metadata_destroy(md);
  std::lock_guard lock(mu_);
  current_ = snap;
  last_success_ = std::chrono::steady_clock::now();
  last_error_.clear();
  return snap;
}

std::string ClusterMetadata::unhealthy() const {
  std::lock_guard lock(mu_);
  if (!current_) return last_error_;
  if (std::chrono::steady_clock::now() - last_success_ > 3 * interval_)
    return "no metadata from the Kafka cluster for " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                            last_success_)
                              .count()) +
           " s (" + last_error_ + ")";
  return {};
}

void ClusterMetadata::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    try {
      refresh();
    } catch (const std::exception& e) {
      spdlog::warn("kafka: {}", e.what());
    }
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace krest::proxy
