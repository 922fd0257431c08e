#pragma once
// Topics and their partitions: list, create, delete, describe, with typed results. Every method
// throws krest::Error (its status() says 404 for an unknown topic, 409 for one that exists).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "krest/client.hpp"
#include "krest/error.hpp"

namespace krest {

struct Broker {
  std::int32_t id = 0;
  std::string host;
  std::int32_t port = 0;
  std::optional<std::string> rack;
};

struct PartitionInfo {
  std::int32_t partition = 0;
  std::int64_t earliest_offset = 0;
  std::int64_t latest_offset = 0;  // the offset the next record will get
  Broker leader;
  std::vector<Broker> replicas;
  std::vector<Broker> isr;
};

struct TopicSettings {
  std::optional<std::int32_t> partitions;          // none: the proxy's default
  std::optional<std::int32_t> replication_factor;  // none: the proxy's default
  std::map<std::string, std::string> properties;   // e.g. {"retention.ms", "86400000"}
};

struct TopicInfo {
  std::vector<PartitionInfo> partitions;
  // The properties the topic was created with. krest-proxy reports them (an extension of the v1
  // API); none from a proxy that does not.
  std::optional<std::map<std::string, std::string>> properties;
};

class Admin {
 public:
  explicit Admin(Client& client) : client_(client) {}

  boost::asio::awaitable<bool> status();  // GET /v1/status answered 200
  boost::asio::awaitable<std::vector<std::string>> list_topics();
  boost::asio::awaitable<void> create_topic(const std::string& topic, const TopicSettings& settings = {});
  // A krest-proxy extension (the v1 API has no delete): 405 from other proxies.
  boost::asio::awaitable<void> delete_topic(const std::string& topic);
  boost::asio::awaitable<std::vector<PartitionInfo>> describe_topic(const std::string& topic);
  boost::asio::awaitable<TopicInfo> describe(const std::string& topic);  // partitions and properties
  boost::asio::awaitable<PartitionInfo> describe_partition(const std::string& topic, std::int32_t partition);
  boost::asio::awaitable<std::vector<Broker>> brokers();

 private:
  Client& client_;
};

}  // namespace krest
