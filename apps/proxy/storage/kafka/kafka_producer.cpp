#include "storage/kafka/kafka_producer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

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
// report never touches freed memory whatever happens to the request meanwhile.
struct DeliveryBatch {
  struct Slot {
    DeliveryBatch* batch;
    std::size_t index;
  };
  std::mutex mu;
  std::vector<api::RecordPosition> positions;  // copied to the request's once complete
  std::vector<Slot> slots;
  std::size_t remaining = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::size_t first_error_index = 0;
  bool complete = false;
  std::unique_ptr<Waiter> waiter;
  std::shared_ptr<DeliveryBatch> self;

  // Under mu: one report is in; hands back the waiter when it was the last.
  std::unique_ptr<Waiter> report_done(std::shared_ptr<DeliveryBatch>& keep) {
    if (--remaining > 0) return {};
    complete = true;
    keep = std::move(self);
    return std::move(waiter);
  }
};

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
  auto* slot = static_cast<DeliveryBatch::Slot*>(m->_private);
  auto* batch = slot->batch;
  std::shared_ptr<DeliveryBatch> keep;  // released after the lock, possibly the batch's last reference
  std::unique_ptr<Waiter> waiter;
  {
    std::lock_guard lock(batch->mu);
    auto& pos = batch->positions[slot->index];
    pos.partition = m->partition;
    pos.offset = m->offset;
    if (m->err && !batch->first_error) {
      batch->first_error = m->err;
      batch->first_error_index = slot->index;
    }
    waiter = batch->report_done(keep);
  }
  resume(std::move(waiter));
}

KafkaProducer::KafkaProducer(const KafkaOptions& options, KafkaStats& stats) : timeout_(options.request_timeout) {
  rk_ = make_rdkafka(
      RD_KAFKA_PRODUCER, options,
      {{"enable.idempotence", "true"},
       {"linger.ms", "2"},
       {"message.timeout.ms", std::to_string(options.request_timeout.count())},
       {"queue.buffering.max.kbytes", "262144"},
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
}

void KafkaProducer::flush() { rd_kafka_flush(rk_.get(), static_cast<int>(timeout_.count())); }

asio::awaitable<void> KafkaProducer::produce(const std::string& topic, const api::ProduceBody& body,
                                             std::vector<api::RecordPosition>& positions) {
  auto batch = std::make_shared<DeliveryBatch>();
  batch->positions = positions;
  batch->slots.resize(body.size());
  batch->remaining = body.size() + 1;  // +1: this coroutine's own, released once all are sent
  batch->self = batch;
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto& r = body.record(i);
    batch->slots[i] = {batch.get(), i};
    const auto key = body.key(r);
    const auto value = body.value(r);
    for (;;) {
      auto err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(positions[i].partition),
          RD_KAFKA_V_KEY(r.has_key ? key.data() : nullptr, r.has_key ? key.size() : 0),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_OPAQUE(&batch->slots[i]), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        // librdkafka's buffer is full: let the poll thread drain it, without blocking this thread.
        backoff.expires_after(std::chrono::milliseconds(2));
        co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      if (err) {
        std::lock_guard lock(batch->mu);
        if (!batch->first_error) {
          batch->first_error = err;
          batch->first_error_index = i;
        }
        --batch->remaining;  // never sent: no report will come
      }
      break;
    }
  }
  // Named first: GCC 12 mishandles a capturing lambda temporary inside a co_await expression.
  auto wait_for_reports = [batch](auto handler) {
        std::shared_ptr<DeliveryBatch> keep;
        std::unique_ptr<Waiter> waiter;
        {
          std::lock_guard lock(batch->mu);
          batch->waiter = std::make_unique<WaiterFor<decltype(handler)>>(std::move(handler));
          waiter = batch->report_done(keep);
        }
        resume(std::move(waiter));
      };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(wait_for_reports, asio::use_awaitable);
  positions = batch->positions;  // complete: no report writes to it any more
  if (batch->first_error)
    throw kafka_error(batch->first_error, "records[" + std::to_string(batch->first_error_index) + "] to '" + topic +
                                              "' partition " +
                                              std::to_string(positions[batch->first_error_index].partition));
}

}  // namespace krest::proxy
