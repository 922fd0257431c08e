#pragma once
// The one producer krest-proxy shares between all produce requests: idempotent (no duplicates or
// reordering from librdkafka's own retries), each request waiting for the delivery reports of its
// own records. Reports arrive on a poll thread and resume the request on its executor.
#include <boost/asio/awaitable.hpp>

#include <atomic>
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

  // Sends record i of `body` to positions[i].partition and waits for every report; fills in the
  // offsets. Throws the ProxyError of the first record that failed (others may have been stored:
  // Kafka has no all-or-nothing across partitions without transactions).
  boost::asio::awaitable<void> produce(const std::string& topic, const api::ProduceBody& body,
                                       std::vector<api::RecordPosition>& positions);

  void flush();

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  // The topic's handle, made once: naming the topic on every record would look it up (and take a
  // lock and a reference) per record. Kept for the producer's life; librdkafka keeps its topics
  // that long anyway, and a topic deleted and made again is the same name to it.
  rd_kafka_topic_t* topic_handle(const std::string& topic);

  std::chrono::milliseconds timeout_;
  RdKafkaHandle rk_;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
  std::mutex topics_mu_;
  std::unordered_map<std::string, rd_kafka_topic_t*> topics_;
};

}  // namespace krest::proxy
