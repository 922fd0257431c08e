#pragma once
// The default backend: a durable log in a data directory, one folder per topic and partition.
//   <data_dir>/topics/<topic>/topic.json        the create-topic body as accepted (partitions, properties)
//   <data_dir>/topics/<topic>/<partition>/*.log segments (partition_log.hpp)
// Topic names follow Kafka's rules ([a-zA-Z0-9._-], not "." or ".."), so they are safe folder names.
#include <condition_variable>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <shared_mutex>
#include <thread>

#include "storage/embedded/durability.hpp"
#include "storage/embedded/partition_log.hpp"
#include "storage/storage.hpp"

namespace krest::proxy {

struct EmbeddedLogOptions {
  std::filesystem::path data_dir;
  DurabilityPolicy durability = DurabilityPolicy::fsync;
  std::chrono::milliseconds fsync_interval{1000};
  std::int32_t default_partitions = 1;
  std::int64_t default_retention_ms = -1;
  std::int64_t default_retention_bytes = -1;
  std::int64_t default_segment_bytes = 128LL << 20;
  std::int64_t default_max_message_bytes = 1048588;
  std::chrono::milliseconds retention_interval{5000};
  std::string advertised_host = "localhost";
};

class EmbeddedLog final : public Storage {
 public:
  // Opens every topic and recovers its partitions. Throws std::runtime_error when the data
  // directory cannot be used, naming the file and the problem.
  explicit EmbeddedLog(EmbeddedLogOptions options);
  ~EmbeddedLog() override;

  void listening_on(std::uint16_t port) override { advertised_port_ = port; }

  std::vector<std::string> list_topics() const override;
  boost::asio::awaitable<void> create_topic(const std::string& name, const api::TopicSpec& spec) override;
  boost::asio::awaitable<void> delete_topic(const std::string& name) override;
  // The same, for tools and tests that are not coroutines.
  void create_topic_now(const std::string& name, const api::TopicSpec& spec);
  void delete_topic_now(const std::string& name);
  std::vector<api::BrokerEndpoint> brokers() const override;
  boost::asio::awaitable<std::vector<api::PartitionMetadata>> partitions(const std::string& topic) override;
  boost::asio::awaitable<api::PartitionMetadata> partition(const std::string& topic, std::int32_t partition) override;
  std::vector<api::PartitionMetadata> partitions_now(const std::string& topic) const;
  boost::asio::awaitable<std::optional<std::map<std::string, std::string>>> topic_properties(
      const std::string& topic) override;
  api::PartitionMetadata partition_now(const std::string& topic, std::int32_t partition) const;
  boost::asio::awaitable<std::vector<RecordPosition>> produce(const std::string& topic,
                                                              api::ProduceBody& body) override;
  boost::asio::awaitable<FetchResult> fetch(const std::string& topic, const FetchRequest& request) override;
  void append_metrics(std::string& out) const override;
  void start() override;
  void stop() override;

 private:
  struct Topic;
  std::shared_ptr<Topic> open_topic(const std::string& name);
  std::shared_ptr<Topic> find(const std::string& name) const;  // throws not_found
  api::PartitionMetadata describe(const Topic& t, std::int32_t p) const;
  void sync_all();
  void run_retention();
  std::vector<std::shared_ptr<Topic>> snapshot() const;

  EmbeddedLogOptions options_;
  std::filesystem::path topics_dir_;
  std::filesystem::path staging_dir() const;  // creates in progress
  std::filesystem::path trash_dir() const;    // deletes in progress
  std::string unique_name();
  std::atomic<std::uint64_t> next_unique_{0};
  boost::asio::thread_pool admin_{1};  // creates and deletes
  std::int32_t advertised_port_ = 0;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Topic>> topics_;  // guarded by mu_
  LogMetrics metrics_;
  Durability durability_;

  std::mutex retention_mu_;
  std::condition_variable retention_cv_;
  bool stopping_ = false;  // guarded by retention_mu_
  std::thread retention_thread_;
};

}  // namespace krest::proxy
