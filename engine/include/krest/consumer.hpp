#pragma once
// Reads partitions through the proxy, each from a start offset, driven by the NextOffset header:
// a partition's next request goes out as soon as the current response's header arrives, and up
// to `window` requests at consecutive offset ranges may be in flight to hide the round trip. The
// application sees every offset of a partition exactly once and in order, whatever order the
// responses come back in. Between fetching and the application sits a bounded queue.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krest/client.hpp"
#include "krest/consumed_record.hpp"
#include "krest/error.hpp"

namespace krest {

struct ConsumerOptions {
  // `count` of each request. 0 (auto): 500, and 2000 on a link of 30 ms or more while
  // max_in_flight is adapted (fewer for answers over 512 bytes a record); a number pins it.
  std::int32_t fetch_records = 0;
  // Requests per partition in flight at once, at consecutive offset ranges (1: one at a time).
  // Adapted (the default): as many as the consumer-wide max_in_flight allows, up to the bound,
  // and on short links (the quickest connect shows them) 4 at most under 5 ms, 2 under 1 ms,
  // where more only queue.
  Concurrency window = Concurrency::automatic(64);
  // Requests in flight at once over all partitions. Adapted (the default) to the round trip and
  // throughput measured, up to the bound, starting at 16 (wider on a long link); a number pins
  // it. Never more than a pinned pool has connections.
  Concurrency max_in_flight = Concurrency::automatic(192);
  std::size_t queue_records = 20000; // fetched but not yet polled, at most (about)
  // Follow: at the end of a partition, keep asking with a backoff from poll_initial up to
  // poll_max, and find partitions added to subscribed topics later. Otherwise a partition ends
  // when it is caught up, and poll() returns nothing once every partition has ended.
  bool follow = false;
  std::chrono::milliseconds poll_initial{100};
  std::chrono::milliseconds poll_max{2000};
  std::chrono::milliseconds discovery_interval{10000};
  std::chrono::milliseconds retry_initial{100};  // after a retriable failure, doubling...
  std::chrono::milliseconds retry_max{5000};     // ...up to this
  // How long a partition keeps retrying failures that may pass before poll() reports the error;
  // zero: for ever (what a tail that must survive proxy restarts wants).
  std::chrono::milliseconds give_up_after{0};
};

std::vector<std::string> validate(const ConsumerOptions& options);

struct StartAt {
  enum class Kind { earliest, latest, offset };
  Kind kind = Kind::earliest;
  std::int64_t offset = 0;

  static StartAt earliest() { return {}; }
  static StartAt latest() { return {Kind::latest, 0}; }
  static StartAt at(std::int64_t o) { return {Kind::offset, o}; }
};

// Records of one partition, consecutive in offset order.
struct RecordBatch {
  std::string topic;
  std::int32_t partition = 0;
  std::vector<ConsumedRecord> records;
  // The offset to continue from once these records are processed (past the last record, and
  // past offsets the proxy no longer has): what a checkpoint stores.
  std::int64_t next_offset = 0;
};

struct PartitionPosition {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;  // everything below it has been handed to the application
  bool caught_up = false;        // the last answer for it said there is nothing more yet
};

struct ConsumerStats {
  std::size_t requests_in_flight = 0;
  std::size_t in_flight_limit = 0;  // what max_in_flight allows now (adapted or pinned)
  std::size_t queued_records = 0;   // fetched and not yet polled
};

class Consumer {
 public:
  // Throws std::invalid_argument listing validate()'s problems. `client` must outlive it.
  explicit Consumer(Client& client, ConsumerOptions options = {});
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Every partition of `topic` (and, when following, partitions added later, from their start),
  // each from `start`. Reads the topic's partitions first; throws Error (404 for an unknown topic).
  boost::asio::awaitable<void> subscribe(std::string_view topic, StartAt start = StartAt::earliest());
  // One partition from `start`. Throws Error when `start` needs the partition's metadata and it
  // cannot be read.
  boost::asio::awaitable<void> assign(std::string_view topic, std::int32_t partition, StartAt start);

  // The next batch of records, waiting up to `wait`: an empty batch when none came in time,
  // nothing once every partition has ended (not following) or after close(). Throws the Error of
  // a partition that failed for good (its topic deleted, access refused, retries given up).
  boost::asio::awaitable<std::optional<RecordBatch>> poll(std::chrono::milliseconds wait);

  // Optional: hands back a polled batch the application is done with. Its records' memory is
  // reused for records of later responses, so a steady stream allocates nothing per record. Call
  // it on the consumer's executor, as poll().
  void recycle(RecordBatch&& batch);

  std::vector<PartitionPosition> positions() const;
  ConsumerStats stats() const;
  // Stops fetching; records fetched but not polled are dropped.
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace krest
