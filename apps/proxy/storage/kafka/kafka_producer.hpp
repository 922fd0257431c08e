#pragma once
// The one producer krest-proxy shares between all produce requests: idempotent (no duplicates or
// reordering from librdkafka's own retries), each request waiting for the delivery reports of its
// own records. Reports arrive on a poll thread and resume the request on its executor.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/produce_body.hpp"
#include "api/produce_response.hpp"
#include "storage/kafka/kafka_stats.hpp"
#include "storage/kafka/rdkafka_handle.hpp"

namespace krest::proxy {

class KafkaProducer {
 public:
  KafkaProducer(const KafkaOptions& options, KafkaStats& stats);
  ~KafkaProducer();  // waits up to the request timeout for what is in flight

  rd_kafka_t* handle() { return rk_.get(); }
  // Topic handles kept now (at most KafkaOptions::topic_handles).
  std::size_t topic_handles() const;

  // Sends record i of `body` to positions[i].partition and waits for every report; fills in the
  // offsets. Throws the ProxyError of the first record that failed (others may have been stored:
  // Kafka has no all-or-nothing across partitions without transactions). `topic` by value: a
  // coroutine keeps its parameters, and a reference to a temporary (a literal's std::string)
  // would dangle after the first suspension. `body` and `positions` must outlive the call.
  boost::asio::awaitable<void> produce(std::string topic, const api::ProduceBody& body,
                                       std::vector<api::RecordPosition>& positions);

  void flush();

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  // The topic's handle, made once and kept for the next produce: naming the topic on every record
  // would look it up (and take a lock and a reference) per record. The least recently used go
  // beyond KafkaOptions::topic_handles, so a proxy that sees topics come and go for months does
  // not hold every name it ever saw (librdkafka forgets a topic once no handle holds it); a
  // produce still under way keeps its own reference.
  using TopicHandle = std::shared_ptr<rd_kafka_topic_t>;
  TopicHandle topic_handle(const std::string& topic);

  std::chrono::milliseconds timeout_;
  RdKafkaHandle rk_;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
  struct KeptTopic {
    TopicHandle handle;
    std::uint64_t used = 0;  // use_count_ when last produced to
  };
  std::size_t max_topics_;
  mutable std::mutex topics_mu_;
  std::unordered_map<std::string, KeptTopic> topics_;
  std::uint64_t use_count_ = 0;
};

}  // namespace krest::proxy
