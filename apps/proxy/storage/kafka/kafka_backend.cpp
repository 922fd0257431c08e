#include "storage/kafka/kafka_backend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include <functional>
#include <thread>

#include "metrics/prometheus.hpp"
#include "proxy_error.hpp"
#include "storage/kafka/kafka_errors.hpp"
#include "storage/record_placement.hpp"

namespace asio = boost::asio;

namespace krest::proxy {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};

// Runs one Admin API request on `rk` and waits for its result event (blocking).
std::unique_ptr<rd_kafka_event_t, EventDeleter> admin_call(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                                                          rd_kafka_admin_op_t op,
                                                          void (*send)(rd_kafka_t*, rd_kafka_AdminOptions_t*,
                                                                       rd_kafka_queue_t*, void*),
                                                          void* what) {
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, op);
  char error[256];
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout.count()), error, sizeof error);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), error, sizeof error);
  send(rk, options, queue.get(), what);
  rd_kafka_AdminOptions_destroy(options);
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count() + 1000)));
  if (!event)
    throw ProxyError(ErrorKind::unavailable, "the Kafka cluster did not answer the admin request within "
                                             "kafka_admin_timeout_ms (" + std::to_string(timeout.count()) + " ms)");
  return event;
}

// Throws the error of an Admin API answer: the request's, or the first topic's.
void throw_admin_error(rd_kafka_event_t* event, const rd_kafka_topic_result_t** results, size_t n,
                       const std::string& what) {
  if (auto err = rd_kafka_event_error(event)) throw kafka_error(err, what + ": " + rd_kafka_event_error_string(event));
  for (size_t i = 0; i < n; ++i)
    if (auto err = rd_kafka_topic_result_error(results[i])) {
      const char* text = rd_kafka_topic_result_error_string(results[i]);
      throw kafka_error(err, what + (text ? std::string(": ") + text : ""));
    }
}

}  // namespace

KafkaBackend::KafkaBackend(KafkaOptions options)
    : options_(std::move(options)),
      producer_(options_, stats_),
      // A metadata wait is part of some client's request: bounded well below a client's own timeout.
      metadata_(producer_.handle(), options_.metadata_refresh, options_.fetch_timeout),
      readers_(options_, stats_),
      blocking_(4),
      reading_(options_.read_threads) {}

KafkaBackend::~KafkaBackend() { stop(); }

void KafkaBackend::start() {
  // One refresh before serving, so that a proxy whose cluster is up is healthy from its first request.
  try {
    auto snap = metadata_.refresh();
    spdlog::info("kafka: {} broker(s), {} topic(s)", snap->brokers.size(), snap->topics.size());
  } catch (const std::exception& e) {
    spdlog::warn("kafka: {} (serving anyway; /health says 503 until the cluster answers)", e.what());
  }
  metadata_.start();
}

void KafkaBackend::stop() {
  metadata_.stop();
  producer_.flush();
}

std::string KafkaBackend::unhealthy() const { return metadata_.unhealthy(); }

void KafkaBackend::append_metrics(std::string& out) const {
  stats_.append_metrics(out);
  metrics::append_counter(out, "krest_kafka_fetch_stream_starts_total",
                          "Partition fetch streams started at a consume request's offset: one per partition read "
                          "from a new place; many more means a partition's pages keep moving its stream (out of "
                          "order beyond the read-on distance, or one reader's pages spread over several proxies).",
                          static_cast<double>(readers_.stream_starts()));
  metrics::append_counter(out, "krest_kafka_fetch_stream_wakes_total",
                          "Partition fetch streams woken by a seek to where they stand, after going quiet with "
                          "records left to hand out: librdkafka stops fetching a partition whose queue is full "
                          "and, with nothing else to fetch from that broker, looks at it again up to a second "
                          "later. About one per queue's worth (2 MB) a fast reader drains.",
                          static_cast<double>(readers_.stream_wakes()));
  metrics::append_gauge(out, "krest_kafka_open_partitions",
                        "Partitions being read ahead between requests (kafka_open_partitions at most).",
                        static_cast<double>(readers_.open_sessions()));
  metrics::append_counter(out, "krest_kafka_idle_partitions_closed_total",
                          "Partitions no longer read ahead because no request asked for them within "
                          "kafka_partition_idle_ms: their prefetch freed, their fetches stopped.",
                          static_cast<double>(readers_.idle_closed()));
  metrics::append_counter(out, "krest_kafka_fetched_records_unused_total",
                          "Records a partition's fetch stream read past on the way to a request's offset and "
                          "dropped unserved: work for nothing (many when one reader's pages alternate between "
                          "proxies).",
                          static_cast<double>(readers_.unused_records()));
}

std::shared_ptr<const ClusterSnapshot> KafkaBackend::cached_snapshot() const {
  auto snap = metadata_.snapshot();
  if (!snap) throw ProxyError(ErrorKind::unavailable, "no metadata from the Kafka cluster yet: " + unhealthy());
  return snap;
}

std::vector<std::string> KafkaBackend::list_topics() const {
  std::vector<std::string> out;
  for (const auto& [name, ps] : cached_snapshot()->topics) out.push_back(name);
  return out;
}

std::vector<api::BrokerEndpoint> KafkaBackend::brokers() const {
  std::vector<api::BrokerEndpoint> out;
  for (const auto& [id, b] : cached_snapshot()->brokers) out.push_back(b);
  return out;
}

asio::awaitable<std::shared_ptr<const ClusterSnapshot>> KafkaBackend::snapshot_with(const std::string& topic) {
  auto snap = metadata_.snapshot();
  if (!snap || !snap->topics.count(topic)) {
    auto refresh = [this] { return metadata_.refresh(); };
    snap = co_await blocking_.run(std::move(refresh));
    if (!snap->topics.count(topic)) throw ProxyError(ErrorKind::not_found, "topic '" + topic + "' not found");
  }
  co_return snap;
}

api::PartitionMetadata KafkaBackend::describe(const std::string& topic, const ClusterSnapshot& snap,
                                              const ClusterSnapshot::Partition& p) {
  api::PartitionMetadata m;
  m.partition_id = p.id;
  m.leader = snap.broker(p.leader);
  for (auto id : p.replicas) m.replicas.push_back(snap.broker(id));
  for (auto id : p.isr) m.isr.push_back(snap.broker(id));
  auto err = rd_kafka_query_watermark_offsets(producer_.handle(), topic.c_str(), p.id, &m.earliest_offset,
                                              &m.latest_offset, static_cast<int>(options_.fetch_timeout.count()));
  if (err) throw kafka_error(err, "offsets of '" + topic + "' partition " + std::to_string(p.id));
  return m;
}

asio::awaitable<std::vector<api::PartitionMetadata>> KafkaBackend::partitions(const std::string& topic) {
  auto snap = co_await snapshot_with(topic);
  auto name = std::make_shared<const std::string>(topic);
  auto work = [this, name, snap] {
    std::vector<api::PartitionMetadata> out;
    for (const auto& p : snap->topics.at(*name)) out.push_back(describe(*name, *snap, p));
    return out;
  };
  co_return co_await blocking_.run(std::move(work));
}

asio::awaitable<api::PartitionMetadata> KafkaBackend::partition(const std::string& topic, std::int32_t partition) {
  auto snap = co_await snapshot_with(topic);
  const auto& ps = snap->topics.at(topic);
  if (partition < 0 || static_cast<std::size_t>(partition) >= ps.size())
    throw no_such_partition(topic, partition, ps.size());
  auto name = std::make_shared<const std::string>(topic);
  auto work = [this, name, snap, partition] {
    return describe(*name, *snap, snap->topics.at(*name)[static_cast<std::size_t>(partition)]);
  };
  co_return co_await blocking_.run(std::move(work));
}

std::int32_t KafkaBackend::next_sticky(const std::string& topic, std::int32_t count) {
  std::lock_guard lock(sticky_mu_);
  return static_cast<std::int32_t>(sticky_[topic]++ % static_cast<std::uint32_t>(count));
}

asio::awaitable<std::vector<RecordPosition>> KafkaBackend::produce(const std::string& topic,
                                                                   api::ProduceBody& body) {
  auto snap = co_await snapshot_with(topic);
  const auto count = static_cast<std::int32_t>(snap->topics.at(topic).size());
  // The embedded log's placement, so that a topic's keys land alike on either backend.
  auto positions = place_records(topic, body, count, next_sticky(topic, count));
  co_await producer_.produce(topic, body, positions);
  co_return positions;
}

asio::awaitable<FetchResult> KafkaBackend::fetch(const std::string& topic, const FetchRequest& request) {
  auto snap = co_await snapshot_with(topic);
  const auto count = snap->topics.at(topic).size();
  if (request.partition < 0 || static_cast<std::size_t>(request.partition) >= count)
    throw no_such_partition(topic, request.partition, count);
  auto session = readers_.session(topic, request.partition);
  // The partition's turn: at once, or when the request before hands it over (waking this one by
  // cancelling its timer, on this coroutine's own thread). A turn lasts at most fetch_timeout, and
  // a client's window of pages goes by in a few: waiting longer means the partition is stuck.
  struct TurnWait {
    explicit TurnWait(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool granted = false;
  };
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto wait = std::make_shared<TurnWait>(executor);
  std::function<void()> granted = [wait] {
    asio::post(wait->timer.get_executor(), [wait] {
      wait->granted = true;
      wait->timer.cancel();
    });
  };
  ReadTurns::Ticket ticket = 0;
  if (!readers_.request_turn(*session, request.offset, std::move(granted), ticket)) {
    wait->timer.expires_after(options_.fetch_timeout);
    co_await wait->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!wait->granted && readers_.give_up(*session, ticket))
      throw ProxyError(ErrorKind::unavailable, "'" + topic + "' partition " + std::to_string(request.partition) +
                                                   ": other requests held it for kafka_fetch_timeout_ms (" +
                                                   std::to_string(options_.fetch_timeout.count()) + " ms)");
  }
  auto work = [this, session, request] { return readers_.read(*session, request); };
  co_return co_await reading_.run(std::move(work));
}

asio::awaitable<void> KafkaBackend::create_topic(const std::string& name, const api::TopicSpec& spec) {
  auto topic = std::make_shared<const std::string>(name);
  auto wanted = std::make_shared<const api::TopicSpec>(spec);
  auto work = [this, topic, wanted] {
    char error[512];
    const int partitions = wanted->partition_count.value_or(options_.default_partitions);
    const int replication = wanted->replication_factor.value_or(options_.default_replication_factor);
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic->c_str(), partitions, replication, error, sizeof error);
    if (!nt) throw ProxyError(ErrorKind::bad_request, std::string("topic '") + *topic + "': " + error);
    for (const auto& [k, v] : wanted->properties) {
      if (rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str())) {
        rd_kafka_NewTopic_destroy(nt);
        throw ProxyError(ErrorKind::bad_request, "topic property '" + k + "' refused");
      }
    }
    auto event = admin_call(
        producer_.handle(), options_.admin_timeout, RD_KAFKA_ADMIN_OP_CREATETOPICS,
        [](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q, void* what) {
          rd_kafka_NewTopic_t* one[] = {static_cast<rd_kafka_NewTopic_t*>(what)};
          rd_kafka_CreateTopics(rk, one, 1, o, q);
        },
        nt);
    rd_kafka_NewTopic_destroy(nt);
    size_t n = 0;
    const auto* result = rd_kafka_event_CreateTopics_result(event.get());
    const auto** results = result ? rd_kafka_CreateTopics_result_topics(result, &n) : nullptr;
    throw_admin_error(event.get(), results, n, "creating topic '" + *topic + "'");
    {
      std::lock_guard lock(configs_mu_);
      created_with_[*topic] = wanted->properties;
    }
    // The cluster propagates a new topic to every broker's metadata in its own time: wait for it,
    // so that a produce right after the create finds the topic.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (metadata_.refresh()->topics.count(*topic)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    spdlog::warn("kafka: topic '{}' created but not yet in the cluster's metadata", *topic);
  };
  co_await blocking_.run(std::move(work));
}

asio::awaitable<void> KafkaBackend::delete_topic(const std::string& name) {
  auto topic = std::make_shared<const std::string>(name);
  auto work = [this, topic] {
    rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic->c_str());
    auto event = admin_call(
        producer_.handle(), options_.admin_timeout, RD_KAFKA_ADMIN_OP_DELETETOPICS,
        [](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q, void* what) {
          rd_kafka_DeleteTopic_t* one[] = {static_cast<rd_kafka_DeleteTopic_t*>(what)};
          rd_kafka_DeleteTopics(rk, one, 1, o, q);
        },
        dt);
    rd_kafka_DeleteTopic_destroy(dt);
    size_t n = 0;
    const auto* result = rd_kafka_event_DeleteTopics_result(event.get());
    const auto** results = result ? rd_kafka_DeleteTopics_result_topics(result, &n) : nullptr;
    throw_admin_error(event.get(), results, n, "deleting topic '" + *topic + "'");
    {
      std::lock_guard lock(configs_mu_);
      created_with_.erase(*topic);
    }
    metadata_.refresh();
  };
  co_await blocking_.run(std::move(work));
}

asio::awaitable<std::optional<std::map<std::string, std::string>>> KafkaBackend::topic_properties(
    const std::string& name) {
  std::optional<std::map<std::string, std::string>> created;
  {
    std::lock_guard lock(configs_mu_);
    if (auto it = created_with_.find(name); it != created_with_.end()) created = it->second;
    if (std::chrono::steady_clock::now() < describe_configs_after_) co_return created;
  }
  auto topic = std::make_shared<const std::string>(name);
  auto work = [this, topic]() -> std::optional<std::map<std::string, std::string>> {
    const auto unanswered = [this, topic](const std::string& why) {
      spdlog::info("kafka: the cluster did not describe the configs of '{}' ({}): topic_properties are left out "
                   "for 10 minutes", *topic, why);
      std::lock_guard lock(configs_mu_);
      describe_configs_after_ = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    };
    rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic->c_str());
    std::unique_ptr<rd_kafka_event_t, EventDeleter> event;
    try {
      // A second, not kafka_admin_timeout_ms: this holds up a metadata answer.
      event = admin_call(
          producer_.handle(), std::min(options_.admin_timeout, std::chrono::milliseconds(1000)),
          RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
          [](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q, void* what) {
            rd_kafka_ConfigResource_t* one[] = {static_cast<rd_kafka_ConfigResource_t*>(what)};
            rd_kafka_DescribeConfigs(rk, one, 1, o, q);
          },
          resource);
    } catch (const ProxyError& e) {
      rd_kafka_ConfigResource_destroy(resource);
      unanswered(e.what());
      return std::nullopt;
    }
    rd_kafka_ConfigResource_destroy(resource);
    const auto* result = rd_kafka_event_DescribeConfigs_result(event.get());
    size_t n = 0;
    const auto** resources = result ? rd_kafka_DescribeConfigs_result_resources(result, &n) : nullptr;
    if (rd_kafka_event_error(event.get())) {
      unanswered(rd_kafka_event_error_string(event.get()));
      return std::nullopt;
    }
    if (n != 1 || rd_kafka_ConfigResource_error(resources[0])) return std::nullopt;  // e.g. no such topic
    std::map<std::string, std::string> out;
    size_t count = 0;
    const auto** entries = rd_kafka_ConfigResource_configs(resources[0], &count);
    for (size_t i = 0; i < count; ++i) {
      // Only what was set for this topic: the brokers' defaults would bury it.
      if (rd_kafka_ConfigEntry_source(entries[i]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) continue;
      if (rd_kafka_ConfigEntry_is_sensitive(entries[i])) continue;
      const char* value = rd_kafka_ConfigEntry_value(entries[i]);
      out[rd_kafka_ConfigEntry_name(entries[i])] = value ? value : "";
    }
    return out;
  };
  auto described = co_await blocking_.run(std::move(work));
  co_return described ? described : created;
}

}  // namespace krest::proxy
