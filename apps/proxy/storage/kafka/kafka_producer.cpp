#include "storage/kafka/kafka_producer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "storage/kafka/kafka_errors.hpp"

namespace asio = boost::asio;

namespace krest::proxy {
namespace {

// The waiting request, whatever its handler's type: resumed on its own executor, from whichever
// thread brings the last report. (Boost 1.81's any_completion_handler cannot be posted.)
struct Waiter {
  virtual ~Waiter() = default;
  virtual void resume() = 0;
};

template <class Handler>
struct WaiterFor final : Waiter {
  explicit WaiterFor(Handler h) : handler(std::move(h)) {}
  void resume() override {
    auto ex = asio::get_associated_executor(handler);
    asio::post(ex, [h = std::move(handler)]() mutable { std::move(h)(); });
  }
  Handler handler;
};

// The reports of one request's records. It keeps itself alive (self) until its last report, so a
// report never touches freed memory whatever happens to the request meanwhile. Reports come one
// record at a time, so they take no lock: each writes its own entry, and the count's
// acquire-release chain hands every write (and the waiter) to whoever brings it to zero.
struct DeliveryBatch {
  // One record's report, in the order the records were handed over (by partition): librdkafka
  // reports a partition's records in that order, so its reports write one run of memory. Indexed
  // by the body's order, they touched two cache lines a record written by the other thread (the
  // record's slot and its position: 4.7 % of krest-proxy's CPU in a profile of loads, most of it
  // waiting for the slot).
  struct Report {
    DeliveryBatch* batch;
    api::RecordPosition position;
  };
  std::vector<Report> reports;
  std::atomic<std::size_t> remaining{0};
  std::mutex error_mu;  // failures only
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::size_t first_error_report = 0;  // an index into reports
  std::unique_ptr<Waiter> waiter;      // set by the request before it gives up its own count
  std::shared_ptr<DeliveryBatch> self;

  void fail(rd_kafka_resp_err_t err, std::size_t report) {
    std::lock_guard lock(error_mu);
    if (first_error) return;
    first_error = err;
    first_error_report = report;
  }

  // One report is in; the last hands back the waiter and the batch's reference to itself.
  std::unique_ptr<Waiter> report_done(std::shared_ptr<DeliveryBatch>& keep) {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return {};
    keep = std::move(self);
    return std::move(waiter);
  }
};

// The records' indexes grouped by partition, ascending, each partition's in the body's order: a
// counting sort (a stable_sort of 2000-record bodies took 3.5 % of the proxy's CPU in a profile of loads).
std::vector<std::size_t> by_partition(const std::vector<api::RecordPosition>& positions) {
  std::int32_t highest = 0;
  for (const auto& p : positions) highest = std::max(highest, p.partition);
  std::vector<std::size_t> starts(static_cast<std::size_t>(highest) + 2, 0);
  for (const auto& p : positions) ++starts[static_cast<std::size_t>(p.partition) + 1];
  for (std::size_t k = 1; k < starts.size(); ++k) starts[k] += starts[k - 1];
  std::vector<std::size_t> order(positions.size());
  for (std::size_t i = 0; i < positions.size(); ++i) {
    auto& next = starts[static_cast<std::size_t>(positions[i].partition)];
    order[next++] = i;
  }
  return order;
}

void resume(std::unique_ptr<Waiter> w) {
  if (w) w->resume();
}

struct StatsSink {
  static int on_stats(rd_kafka_t*, char* json, size_t len, void* opaque) {
    static_cast<KafkaStats*>(opaque)->update(std::string_view(json, len));
    return 0;  // librdkafka frees the document
  }
};

}  // namespace

void KafkaProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* report = static_cast<DeliveryBatch::Report*>(m->_private);
  auto* batch = report->batch;
  report->position.partition = m->partition;
  report->position.offset = m->offset;
  if (m->err) batch->fail(m->err, static_cast<std::size_t>(report - batch->reports.data()));
  std::shared_ptr<DeliveryBatch> keep;  // possibly the batch's last reference: released after resuming
  resume(batch->report_done(keep));
}

KafkaProducer::KafkaProducer(const KafkaOptions& options, KafkaStats& stats)
    : timeout_(options.request_timeout), max_topics_(std::max<std::size_t>(1, options.topic_handles)) {
  rk_ = make_rdkafka(
      RD_KAFKA_PRODUCER, options,
      {{"enable.idempotence", "true"},
       // librdkafka's and Kafka's own default: at 2 ms, 81 partitions at 400k records/s made
       // batches of ~10 records, and the broker threads and brokers spent twice the CPU on them.
       {"linger.ms", "5"},
       {"message.timeout.ms", std::to_string(options.request_timeout.count())},
       {"queue.buffering.max.kbytes", "262144"},
       // librdkafka's 100,000 would refuse records (QUEUE_FULL) of bodies the proxy has admitted;
       // bytes stay bounded by max.kbytes, the messages themselves (~200 bytes each) by this.
       {"queue.buffering.max.messages", "1000000"},
       {"statistics.interval.ms", "5000"},
       {"client.id", "krest-proxy"}},
      [](rd_kafka_conf_t* conf, void* opaque) {
        rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::on_delivery);
        rd_kafka_conf_set_stats_cb(conf, &StatsSink::on_stats);
        rd_kafka_conf_set_opaque(conf, opaque);
      },
      &stats);
  poller_ = std::thread([this] {
    while (!stopping_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_.get(), 100);
  });
}

KafkaProducer::~KafkaProducer() {
  flush();
  stopping_ = true;
  if (poller_.joinable()) poller_.join();
  rd_kafka_poll(rk_.get(), 0);  // reports that came after the poller stopped
  topics_.clear();  // before the handle they belong to
}

std::size_t KafkaProducer::topic_handles() const {
  std::lock_guard lock(topics_mu_);
  return topics_.size();
}

KafkaProducer::TopicHandle KafkaProducer::topic_handle(const std::string& topic) {
  std::lock_guard lock(topics_mu_);
  if (auto it = topics_.find(topic); it != topics_.end()) {
    it->second.used = ++use_count_;
    return it->second.handle;
  }
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr);
  if (!rkt) throw kafka_error(rd_kafka_last_error(), "topic handle for '" + topic + "'");
  TopicHandle handle(rkt, [](rd_kafka_topic_t* t) { rd_kafka_topic_destroy(t); });
  if (topics_.size() >= max_topics_) {
    // The least recently used goes (a scan: only when a new topic comes past the bound).
    auto oldest = std::min_element(topics_.begin(), topics_.end(),
                                   [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    topics_.erase(oldest);
  }
  topics_.emplace(topic, KeptTopic{handle, ++use_count_});
  return handle;
}

void KafkaProducer::flush() { rd_kafka_flush(rk_.get(), static_cast<int>(timeout_.count())); }

asio::awaitable<void> KafkaProducer::produce(std::string topic, const api::ProduceBody& body,
                                             std::vector<api::RecordPosition>& positions) {
  auto batch = std::make_shared<DeliveryBatch>();
  batch->remaining.store(body.size() + 1, std::memory_order_relaxed);  // +1: this coroutine's own, released once all are sent
  batch->self = batch;
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  const TopicHandle rkt = topic_handle(topic);  // held until every record is handed over
  // The records by partition, each partition's in the body's order, handed over a partition at a
  // time (rd_kafka_produce_batch): librdkafka then takes the topic's lock, finds the partition
  // and reads the clock once per partition instead of once per record as rd_kafka_producev does.
  // No copy: librdkafka points into the body's arena, which outlives every report (this
  // coroutine, and with it the request holding the body, resumes only after the last one).
  std::vector<rd_kafka_message_t> messages(body.size());
  const auto order = by_partition(positions);
  batch->reports.resize(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    const auto& r = body.record(i);
    const auto key = body.key(r);
    const auto value = body.value(r);
    auto& report = batch->reports[k];
    report.batch = batch.get();
    report.position = positions[i];  // a record never sent keeps its placement
    auto& m = messages[k];
    m = rd_kafka_message_t{};
    m.payload = const_cast<char*>(value.data());
    m.len = value.size();
    m.key = r.has_key ? const_cast<char*>(key.data()) : nullptr;
    m.key_len = r.has_key ? key.size() : 0;
    m._private = &batch->reports[k];
  }
  for (std::size_t first = 0; first < order.size();) {
    const std::int32_t partition = positions[order[first]].partition;
    std::size_t end = first;
    while (end < order.size() && positions[order[end]].partition == partition) ++end;
    // A full buffer refuses the rest of the call from the first record it could not take, so the
    // partition's order holds when the rest is handed over again.
    while (first < end) {
      const int count = static_cast<int>(end - first);
      const int taken = rd_kafka_produce_batch(rkt.get(), partition, 0, &messages[first], count);
      if (taken == count) {
        first = end;
        break;
      }
      bool full = false;
      for (std::size_t k = first; k < end; ++k) {
        const auto err = messages[k].err;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          first = k;  // this one and every later one: not taken
          full = true;
          break;
        }
        if (err) {
          batch->fail(err, k);
          batch->remaining.fetch_sub(1, std::memory_order_acq_rel);  // never sent: no report will come
        }
      }
      if (!full) {
        first = end;
        break;
      }
      // librdkafka's buffer is full: let the poll thread drain it, without blocking this thread.
      backoff.expires_after(std::chrono::milliseconds(2));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  // Named first: GCC 12 mishandles a capturing lambda temporary inside a co_await expression.
  auto wait_for_reports = [batch](auto handler) {
        batch->waiter = std::make_unique<WaiterFor<decltype(handler)>>(std::move(handler));
        std::shared_ptr<DeliveryBatch> keep;
        resume(batch->report_done(keep));
      };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(wait_for_reports, asio::use_awaitable);
  // Complete: no report writes any more.
  for (std::size_t k = 0; k < order.size(); ++k) positions[order[k]] = batch->reports[k].position;
  if (batch->first_error) {
    const std::size_t index = order[batch->first_error_report];
    throw kafka_error(batch->first_error, "records[" + std::to_string(index) + "] to '" + topic + "' partition " +
                                              std::to_string(positions[index].partition));
  }
}

}  // namespace krest::proxy
