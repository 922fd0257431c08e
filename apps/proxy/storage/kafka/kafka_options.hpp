#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace krest::proxy {

struct KafkaOptions {
  std::string bootstrap_servers;
  // librdkafka properties, "key=value", applied to every client the backend makes (security:
  // security.protocol, sasl.*, ssl.*), after krest's own defaults, so they win.
  std::vector<std::string> properties;
  std::int32_t default_partitions = 1;
  std::int32_t default_replication_factor = -1;  // -1: the brokers' default
  std::size_t consumers = 2;          // librdkafka consumers the partitions being read are spread over
  std::size_t read_threads = 16;      // consume requests served at once
  std::size_t open_partitions = 256;  // partitions kept reading between requests (2 MB prefetch each)
  // A partition nobody asked for this long stops being read: its prefetch is freed and its fetches,
  // which at its end ask the leader every fetch.wait.max.ms, stop.
  std::chrono::milliseconds partition_idle{60000};
  std::size_t topic_handles = 1024;   // topics produced to whose librdkafka handles are kept (the least recent go)
  std::chrono::milliseconds metadata_refresh{10000};
  std::chrono::milliseconds request_timeout{20000};  // a produce's delivery (under a client's 30 s)
  std::chrono::milliseconds admin_timeout{15000};    // a topic create or delete
  // A consume waiting for a partition's leader, a metadata or watermark query: each is part of a
  // client's request, so bounded well below a client's own timeout.
  std::chrono::milliseconds fetch_timeout{10000};
};

}  // namespace krest::proxy
