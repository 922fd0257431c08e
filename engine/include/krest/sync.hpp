#pragma once
// The engine for programs without coroutines: a client that runs its own I/O thread, and a
// producer, consumer and admin client whose calls block the calling thread until the work is done
// or its timeout passes (then they throw Error(timeout); what was started goes on in the
// background, and owns what it needs). Every call is thread-safe: any number of threads may share
// one object, and the calls run one at a time on the client's thread.
//
// Callbacks (DeliveryCallback) run on the client's I/O thread: they must not block, and must not
// call back into krest::sync (that would wait for the thread the callback holds).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krest/admin.hpp"
#include "krest/client.hpp"
#include "krest/consumer.hpp"
#include "krest/producer.hpp"

namespace krest::sync {

using std::chrono::milliseconds;

class Client {
 public:
  // Throws as krest::Client does (invalid options, an unreadable CA file).
  explicit Client(ClientOptions options);
  // Closes the connections and joins the thread (at most a few seconds for what is in flight).
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  ClientMetrics metrics() const;

  struct Impl;

 private:
  friend class Producer;
  friend class Consumer;
  friend class Admin;
  Impl& impl() { return *impl_; }
  std::unique_ptr<Impl> impl_;
};

class Producer {
 public:
  explicit Producer(Client& client, ProducerOptions options = {});
  // Records not yet reported go on in the background.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Accepts the record, blocking while the buffer is full (at most `timeout`); the result goes to
  // `on_delivery` (or ProducerOptions::on_delivery) on the client's thread. Throws as
  // krest::Producer::send does, and Error(timeout).
  void send(std::string_view topic, Record record, DeliveryCallback on_delivery = {},
            milliseconds timeout = milliseconds(30000));
  // Sends one record and waits for its result.
  Delivery produce(std::string_view topic, Record record, milliseconds timeout = milliseconds(30000));
  // True when every record sent has its result within `timeout`.
  bool flush(milliseconds timeout);
  // flush(timeout), then refuses further records; true when everything had its result.
  bool close(milliseconds timeout);
  std::shared_ptr<const Error> last_error() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

class Consumer {
 public:
  explicit Consumer(Client& client, ConsumerOptions options = {});
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void subscribe(std::string_view topic, StartAt start = StartAt::earliest(), milliseconds timeout = milliseconds(30000));
  void assign(std::string_view topic, std::int32_t partition, StartAt start,
              milliseconds timeout = milliseconds(30000));
  // As krest::Consumer::poll: a batch (empty when none came within `wait`), or nothing once every
  // partition has ended or after close(). Throws a partition's lasting Error.
  std::optional<RecordBatch> poll(milliseconds wait);
  std::vector<PartitionPosition> positions() const;
  void close();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

class Admin {
 public:
  explicit Admin(Client& client, milliseconds timeout = milliseconds(30000)) : client_(client), timeout_(timeout) {}

  std::vector<std::string> list_topics();
  void create_topic(std::string_view topic, TopicSettings settings = {});
  void delete_topic(std::string_view topic);
  TopicInfo describe(std::string_view topic);

 private:
  Client& client_;
  milliseconds timeout_;
};

}  // namespace krest::sync
