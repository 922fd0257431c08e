#pragma once
// Sends records to topics through the proxy: batched per topic into produce POSTs, several in
// flight at once, retried on failures that may pass, with a bounded buffer. Every record sent gets
// exactly one result: its partition and offset, or the error that ended it.
//
// Delivery is at least once. A record is sent again only when an earlier attempt's outcome is
// unknown — the request was (partly) written and then the connection failed or the response did
// not come in time, or a gateway answered 502/504 — and that is the only way a record can be
// stored twice. An error status from the proxy itself means nothing of the request was stored
// (the API's requests are all-or-nothing), so its retry cannot duplicate.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krest/client.hpp"
#include "krest/error.hpp"

namespace krest {

struct Record {
  // Constructors, so that Record{value} and Record{key, value} are constructor calls and not
  // aggregate initialization: GCC 12 mishandles a brace-initialized aggregate temporary inside a
  // co_await expression (a double free), and `co_await p.send("t", Record{k, v})` is the obvious
  // spelling (tests/engine/client/engine_test.cpp runs it under ASan).
  Record() = default;
  explicit Record(std::string value_text) : value(std::move(value_text)) {}
  Record(std::optional<std::string> key_text, std::string value_text,
         std::optional<std::int32_t> partition_id = std::nullopt, bool value_is_json = false,
         bool key_is_json = false)
      : key(std::move(key_text)),
        value(std::move(value_text)),
        partition(partition_id),
        value_json(value_is_json),
        key_json(key_is_json) {}

  std::optional<std::string> key;
  std::string value;
  std::optional<std::int32_t> partition;  // none: by key hash (murmur2), or spread when keyless
  // The value (or key) is JSON text, sent as it is: the proxy stores a JSON string's characters
  // and any other JSON value's text. Otherwise it is a plain string.
  bool value_json = false;
  bool key_json = false;
  // Not sent: handed back in the record's Delivery, to tell records apart in a producer-wide
  // ProducerOptions::on_delivery (a sequence number, an index, a pointer's bits).
  std::uint64_t tag = 0;
};

struct Delivery {
  std::int32_t partition = -1;  // -1 when the proxy's answer does not say (HDInsight's does not)
  std::int64_t offset = -1;
  std::shared_ptr<const Error> error;  // null when the record was stored
  std::uint64_t tag = 0;               // the record's Record::tag
  bool ok() const { return !error; }
};

// Called on the client's executor. Must not block.
using DeliveryCallback = std::function<void(const Delivery&)>;

struct ProducerOptions {
  // Records in one POST, at most. 0 (the default): 500, and 1000 once the link is known to be a
  // round trip of 10 ms or more (docs/ENGINE.md, "Across a network").
  std::size_t batch_records = 0;
  std::size_t batch_bytes = 1 << 20;        // bytes of one POST body, at most (a larger record goes alone)
  std::chrono::milliseconds linger{5};      // how long a batch waits for more records
  // POSTs at once. Adapted (the default) to the round trip and throughput measured, up to the
  // bound, starting at 8 (wider on a long link); a number pins it. Never more than a pinned pool
  // has connections. With batch_records 0, the adapted limit counts a 1000-record POST as two
  // 500-record ones.
  Concurrency max_in_flight = Concurrency::automatic(192);
  // Records accepted but not yet acknowledged; send() waits beyond, and also while max_in_flight
  // full batches already wait for a connection.
  std::size_t buffer_bytes = 64ULL << 20;
  std::chrono::milliseconds delivery_timeout{120000};  // from a record's send() to its last retry
  std::chrono::milliseconds retry_initial{100};        // backoff after a retriable failure, doubling...
  std::chrono::milliseconds retry_max{5000};           // ...up to this, with jitter
  // Keep each partition's records in send order, retries included: one POST in flight per
  // partition (keyed records go where their key hashes; keyless ones stick to one partition per
  // batch). Needs the topic's partition count, read once per topic.
  bool ordered = false;
  // The result of every record sent without a callback of its own, in send order within each
  // batch; Delivery::tag says which record. One callback for the producer costs less than one
  // per record (a std::function copied into the batch and destroyed after): what loops that send
  // millions of records should use.
  DeliveryCallback on_delivery;
};

std::vector<std::string> validate(const ProducerOptions& options);

struct ProducerStats {
  std::size_t buffered_bytes = 0;    // accepted and not yet acknowledged
  std::size_t pending_records = 0;   // accepted and without a result yet
  std::size_t requests_in_flight = 0;
  std::size_t in_flight_limit = 0;   // POSTs max_in_flight allows now (adapted or pinned), of the size opened now
};

class Producer {
 public:
  // Throws std::invalid_argument listing validate()'s problems. `client` must outlive it.
  explicit Producer(Client& client, ProducerOptions options = {});
  // Records accepted and not yet reported go on being delivered in the background, and their
  // callbacks still run: close() first when they refer to things about to go away.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Accepts a record, waiting only while the buffer is full; `on_delivery` later gets its result
  // (when empty, ProducerOptions::on_delivery does). Callbacks never run inside send(),
  // try_send() or produce() themselves, so a callback may send again.
  // Throws Error(invalid) for an invalid topic name or a key or value that is not UTF-8 (see
  // krest/base64.hpp for binary data), Error(closed) after close(), and, in ordered
  // mode, the Error of reading an unknown topic's partition count.
  boost::asio::awaitable<void> send(std::string_view topic, Record&& record, const DeliveryCallback& on_delivery);
  // The same with the result going to ProducerOptions::on_delivery, if set (else only flush(),
  // close() and the metrics tell the outcome).
  boost::asio::awaitable<void> send(std::string_view topic, Record&& record);
  // A Record{...} temporary is safe inside the co_await (it has constructors). A callback is not
  // always: under GCC 12 name a lambda that captures by value (a std::string, a shared_ptr) before
  // the co_await and pass the name (see ENGINE.md).
  // The same without a coroutine, for loops that send millions of records: false, leaving `record`
  // as it was, when it would have to wait (the buffer is full, or ordered mode has yet to read the
  // topic's partition count); then co_await send() it. Throws as send() does.
  bool try_send(std::string_view topic, Record& record, const DeliveryCallback& on_delivery = {});
  // send() and wait for the record's result.
  boost::asio::awaitable<Delivery> produce(std::string_view topic, Record&& record);
  // Sends what is batched now and waits until every accepted record has its result.
  boost::asio::awaitable<void> flush();
  // The same for at most `timeout`: true when every record has its result, false when some are
  // still on their way (they go on; stats().pending_records says how many).
  boost::asio::awaitable<bool> flush(std::chrono::milliseconds timeout);
  // flush(), then refuses further records.
  boost::asio::awaitable<void> close();

  ProducerStats stats() const;
  // The error of the last record that failed, or null: for applications that send without
  // callbacks and want to know, after flush(), whether anything was lost and why.
  std::shared_ptr<const Error> last_error() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace krest
