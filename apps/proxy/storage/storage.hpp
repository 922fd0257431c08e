#pragma once
// What routes need from a backend: the embedded log (storage/embedded/) or a Kafka cluster
// (storage/kafka/). Methods throw ProxyError for anything a client must hear about (unknown topic,
// bad partition, disk full, brokers down).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/metadata_body.hpp"
#include "api/produce_body.hpp"
#include "api/produce_response.hpp"
#include "api/topic_spec.hpp"

namespace krest::proxy {

// An allocator that leaves new elements uninitialised: a read buffer is filled by pread right after
// it grows, so zero-filling it first is wasted work on every consume.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using RecordPosition = api::RecordPosition;

struct FetchRequest {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::size_t max_records = 1;
  std::size_t max_bytes = 0;  // of keys and values; at least one record is returned regardless
};

// Records of one fetch. Keys and values live in `data`; records hold positions into it so the
// buffer can grow while it is filled.
struct FetchResult {
  struct Record {
    std::int64_t offset;
    std::int64_t timestamp_ms;
    std::int32_t key_len;  // -1: no key
    std::uint32_t key_pos;
    std::uint32_t value_pos;
    std::uint32_t value_len;
    bool plain_json;  // key and value need no JSON escaping
    bool log_append_time = false;  // the timestamp is the broker's (LogAppendTime), not the producer's
  };
  std::vector<char, UninitializedAllocator<char>> data;
  std::vector<Record> records;
  std::int64_t next_offset = 0;
  std::size_t bytes = 0;  // keys and values returned

  std::optional<std::string_view> key(const Record& r) const {
    if (r.key_len < 0) return std::nullopt;
    return std::string_view(data.data() + r.key_pos, static_cast<std::size_t>(r.key_len));
  }
  std::string_view value(const Record& r) const { return {data.data() + r.value_pos, r.value_len}; }
};

// Every method runs on an I/O thread: one that has to wait on something slow (a broker, the disk
// beyond a page-cache write) is a coroutine, and does the waiting elsewhere.
class Storage {
 public:
  virtual ~Storage() = default;

  virtual std::vector<std::string> list_topics() const = 0;
  virtual boost::asio::awaitable<void> create_topic(const std::string& name, const api::TopicSpec& spec) = 0;
  virtual boost::asio::awaitable<void> delete_topic(const std::string& name) = 0;
  virtual std::vector<api::BrokerEndpoint> brokers() const = 0;
  virtual boost::asio::awaitable<std::vector<api::PartitionMetadata>> partitions(const std::string& topic) = 0;
  virtual boost::asio::awaitable<api::PartitionMetadata> partition(const std::string& topic,
                                                                   std::int32_t partition) = 0;

  // The properties `topic` was created with (or was given since), reported beside its partitions
  // (a krest extension); none where the backend cannot tell.
  virtual boost::asio::awaitable<std::optional<std::map<std::string, std::string>>> topic_properties(
      const std::string& topic) {
    (void)topic;
    co_return std::nullopt;
  }

  // Why the backend cannot serve now (for /health and /v1/status), or empty when it can.
  virtual std::string unhealthy() const { return {}; }

  // Stores every record of the body or none of them; returns one position per record, in order,
  // once they are durable by the configured policy. The body's memory may be released once its
  // records are written, before the wait for durability (the caller reads nothing of it after).
  virtual boost::asio::awaitable<std::vector<RecordPosition>> produce(const std::string& topic,
                                                                      api::ProduceBody& body) = 0;
  virtual boost::asio::awaitable<FetchResult> fetch(const std::string& topic, const FetchRequest& request) = 0;

  // Appends the backend's own metrics, in Prometheus text format, to a /metrics response.
  virtual void append_metrics(std::string& out) const = 0;

  // The port the proxy listens on, once bound and before start(): a backend that names the proxy
  // itself as its partitions' leader (the embedded log) reports it in metadata.
  virtual void listening_on(std::uint16_t port) { (void)port; }

  // Background work (syncing, retention) runs between start() and stop().
  virtual void start() = 0;
  virtual void stop() = 0;
};

}  // namespace krest::proxy
