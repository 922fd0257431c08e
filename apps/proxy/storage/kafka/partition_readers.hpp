#pragma once
// Reads a partition from an offset for a consume request, with a small pool of librdkafka
// consumers that assign a partition directly (no consumer group, no commits: the v1 API carries
// offsets in the request). A reader left where a request stopped serves the next request for the
// same partition and offset from what it has already fetched — the way HDInsight clients page
// through a partition with NextOffset.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/kafka/kafka_stats.hpp"
#include "storage/kafka/rdkafka_handle.hpp"
#include "storage/storage.hpp"

namespace krest::proxy {

class PartitionReaders {
 public:
  PartitionReaders(const KafkaOptions& options, KafkaStats& stats);
  ~PartitionReaders();

  // Blocking (run it on the BlockingPool). Up to request.max_records records from
  // request.offset, at most request.max_bytes of keys and values but at least one record; an
  // offset below the earliest retained starts there, one at or past the end gives none.
  // Throws ProxyError.
  FetchResult read(const std::string& topic, const FetchRequest& request);

 private:
  struct Reader;
  std::unique_ptr<Reader> acquire(const std::string& topic, std::int32_t partition, std::int64_t offset);
  void release(std::unique_ptr<Reader> reader);

  KafkaOptions options_;
  KafkaStats& stats_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Reader>> idle_;  // guarded by mu_
  std::size_t made_ = 0;                       // guarded by mu_
};

}  // namespace krest::proxy
