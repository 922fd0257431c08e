#pragma once
// krest-proxy in front of a Kafka cluster, through librdkafka: stateless, so any number of proxies
// can serve the same cluster behind a load balancer (the v1 API carries offsets in each request).
//   produce   one shared idempotent producer; each request waits for its records' reports
//   consume   PartitionReaders: direct assignment from the request's offset, no group, no commits
//   metadata  ClusterMetadata, refreshed in the background; watermarks asked per request
//   admin     CreateTopics / DeleteTopics through the Admin API
// Every call that waits on a broker runs on the BlockingPool, never on an I/O thread.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "storage/kafka/blocking_pool.hpp"
#include "storage/kafka/cluster_metadata.hpp"
#include "storage/kafka/kafka_options.hpp"
#include "storage/kafka/kafka_producer.hpp"
#include "storage/kafka/kafka_stats.hpp"
#include "storage/kafka/partition_readers.hpp"
#include "storage/storage.hpp"

namespace krest::proxy {

class KafkaBackend final : public Storage {
 public:
  // Throws std::invalid_argument for a property librdkafka refuses. Connects lazily.
  explicit KafkaBackend(KafkaOptions options);
  ~KafkaBackend() override;

  std::vector<std::string> list_topics() const override;
  boost::asio::awaitable<void> create_topic(const std::string& name, const api::TopicSpec& spec) override;
  // The topic's own configs (DescribeConfigs: those set for it, not the brokers' defaults); none
  // when the cluster does not answer DescribeConfigs within a second (librdkafka's mock cluster
  // has no DescribeConfigs: then it is not asked again for ten minutes, and topics created here
  // report what they were created with).
  boost::asio::awaitable<std::optional<std::map<std::string, std::string>>> topic_properties(
      const std::string& topic) override;
  boost::asio::awaitable<void> delete_topic(const std::string& name) override;
  std::vector<api::BrokerEndpoint> brokers() const override;
  boost::asio::awaitable<std::vector<api::PartitionMetadata>> partitions(const std::string& topic) override;
  boost::asio::awaitable<api::PartitionMetadata> partition(const std::string& topic, std::int32_t partition) override;
  boost::asio::awaitable<std::vector<RecordPosition>> produce(const std::string& topic,
                                                              api::ProduceBody& body) override;
  boost::asio::awaitable<FetchResult> fetch(const std::string& topic, const FetchRequest& request) override;
  std::string unhealthy() const override;
  void append_metrics(std::string& out) const override;
  void start() override;
  void stop() override;

 private:
  // A metadata snapshot that holds the topic: the cached one, or the cluster's answer when asked
  // once more (the topic just created, or created by another client). Throws ProxyError(not_found).
  boost::asio::awaitable<std::shared_ptr<const ClusterSnapshot>> snapshot_with(const std::string& topic);
  // The cached snapshot; throws ProxyError(unavailable) before the first one.
  std::shared_ptr<const ClusterSnapshot> cached_snapshot() const;
  api::PartitionMetadata describe(const std::string& topic, const ClusterSnapshot& snap,
                                  const ClusterSnapshot::Partition& p);
  std::int32_t next_sticky(const std::string& topic, std::int32_t count);

  KafkaOptions options_;
  KafkaStats stats_;
  KafkaProducer producer_;
  ClusterMetadata metadata_;
  PartitionReaders readers_;
  BlockingPool blocking_;  // metadata and admin calls
  BlockingPool reading_;   // consume requests, which may wait up to fetch_timeout each
  std::mutex sticky_mu_;
  std::mutex configs_mu_;  // guards the two below
  std::map<std::string, std::map<std::string, std::string>> created_with_;  // topics created here
  std::chrono::steady_clock::time_point describe_configs_after_{};  // not asked before (unanswered)
  std::map<std::string, std::uint32_t> sticky_;  // guarded by sticky_mu_
};

}  // namespace krest::proxy
