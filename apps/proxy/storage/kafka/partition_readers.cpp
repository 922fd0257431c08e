#include "storage/kafka/partition_readers.hpp"

#include <chrono>
#include <cstring>
#include <optional>

#include "api/json_text.hpp"
#include "api/utf8.hpp"
#include "storage/kafka/kafka_errors.hpp"

namespace krest::proxy {
namespace {

using Clock = std::chrono::steady_clock;

// How long records may still come after librdkafka reported an end beyond them.
constexpr auto kEndGrace = std::chrono::milliseconds(300);

int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaStats*>(opaque)->update(std::string_view(json, len));
  return 0;
}

// Appends `s` to the fetch buffer as the API can carry it (UTF-8), returning where it starts.
std::pair<std::uint32_t, std::uint32_t> append_text(FetchResult& out, std::string_view s, bool& plain) {
  const auto pos = static_cast<std::uint32_t>(out.data.size());
  if (api::valid_utf8(s)) {
    out.data.resize(pos + s.size());
    if (!s.empty()) std::memcpy(out.data.data() + pos, s.data(), s.size());
    plain = plain && !api::needs_json_escape(s);
    return {pos, static_cast<std::uint32_t>(s.size())};
  }
  // Written by a client that does not send UTF-8: shown as a Java client would decode it.
  std::string fixed;
  api::append_utf8_replacing(fixed, s);
  out.data.resize(pos + fixed.size());
  std::memcpy(out.data.data() + pos, fixed.data(), fixed.size());
  plain = plain && !api::needs_json_escape(fixed);
  return {pos, static_cast<std::uint32_t>(fixed.size())};
}

}  // namespace

struct PartitionReaders::Reader {
  RdKafkaHandle rk;
  std::map<std::string, rd_kafka_topic_t*> topic_handles;
  rd_kafka_topic_t* current = nullptr;  // consuming current/partition when set
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t next = -1;  // the offset the next message it hands out has
  RdKafkaMessage held;     // polled but not returned (it did not fit the last response)

  ~Reader() {
    stop();
    for (auto& [name, rkt] : topic_handles) rd_kafka_topic_destroy(rkt);
  }

  rd_kafka_topic_t* handle(const std::string& name) {
    auto& rkt = topic_handles[name];
    if (!rkt) rkt = rd_kafka_topic_new(rk.get(), name.c_str(), nullptr);
    return rkt;
  }

  void stop() {
    held.reset();
    if (current) rd_kafka_consume_stop(current, partition);
    current = nullptr;
    next = -1;
  }

  // Starts fetching topic/partition at `offset`, dropping whatever was fetched for another place.
  void start(const std::string& name, std::int32_t p, std::int64_t offset) {
    stop();
    auto* rkt = handle(name);
    if (rd_kafka_consume_start(rkt, p, offset) != 0)
      throw kafka_error(rd_kafka_last_error(), "cannot read '" + name + "' partition " + std::to_string(p));
    current = rkt;
    topic = name;
    partition = p;
    next = offset;
  }

  bool positioned_at(const std::string& name, std::int32_t p, std::int64_t offset) const {
    return current && topic == name && partition == p && next == offset;
  }
};

PartitionReaders::PartitionReaders(const KafkaOptions& options, KafkaStats& stats) : options_(options), stats_(stats) {}

PartitionReaders::~PartitionReaders() = default;

std::unique_ptr<PartitionReaders::Reader> PartitionReaders::acquire(const std::string& topic, std::int32_t partition,
                                                                    std::int64_t offset) {
  std::unique_lock lock(mu_);
  for (;;) {
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if ((*it)->positioned_at(topic, partition, offset)) {
        auto r = std::move(*it);
        idle_.erase(it);
        return r;
      }
    }
    if (made_ < options_.consumers) break;
    if (!idle_.empty()) {
      // The reader idle longest (at the front) is the least likely to be asked to continue.
      auto r = std::move(idle_.front());
      idle_.erase(idle_.begin());
      return r;
    }
    available_.wait(lock);
  }
  ++made_;
  lock.unlock();
  auto r = std::make_unique<Reader>();
  try {
    r->rk = make_rdkafka(RD_KAFKA_CONSUMER, options_,
                         {{"enable.partition.eof", "true"},
                          {"auto.offset.reset", "error"},  // handled here: below the start or past the end
                          {"fetch.wait.max.ms", "100"},
                          {"queued.max.messages.kbytes", "16384"},
                          {"statistics.interval.ms", "5000"},
                          {"client.id", "krest-proxy-reader-" + std::to_string(made_)}},
                         [](rd_kafka_conf_t* conf, void* opaque) {
                           rd_kafka_conf_set_stats_cb(conf, &stats_cb);
                           rd_kafka_conf_set_opaque(conf, opaque);
                         },
                         &stats_);
  } catch (...) {
    std::lock_guard relock(mu_);
    --made_;
    throw;
  }
  return r;
}

void PartitionReaders::release(std::unique_ptr<Reader> reader) {
  {
    std::lock_guard lock(mu_);
    if (reader)
      idle_.push_back(std::move(reader));
    else
      --made_;
  }
  available_.notify_one();
}

FetchResult PartitionReaders::read(const std::string& topic, const FetchRequest& request) {
  auto reader = acquire(topic, request.partition, request.offset);
  struct Release {
    PartitionReaders* self;
    std::unique_ptr<Reader>& reader;
    ~Release() { self->release(std::move(reader)); }
  } release{this, reader};
  rd_kafka_t* rk = reader->rk.get();
  rd_kafka_poll(rk, 0);  // statistics and error callbacks
  const int timeout_ms = static_cast<int>(options_.fetch_timeout.count());
  const std::string where = "'" + topic + "' partition " + std::to_string(request.partition);

  std::int64_t low = -1, high = -1;
  auto query = [&] {
    auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), request.partition, &low, &high, timeout_ms);
    if (err) throw kafka_error(err, "offsets of " + where);
  };
  const bool positioned = reader->positioned_at(topic, request.partition, request.offset);
  // A reader already fetching this partition knows its end from its own fetches.
  if (!positioned || rd_kafka_get_watermark_offsets(rk, topic.c_str(), request.partition, &low, &high) != 0 ||
      high < 0)
    query();

  FetchResult out;
  out.next_offset = request.offset;
  if (request.offset >= high) return out;
  std::int64_t next = std::max(request.offset, low);
  if (!positioned || next != request.offset) reader->start(topic, request.partition, next);

  const auto deadline = Clock::now() + options_.fetch_timeout;
  int resets = 0;
  std::optional<std::pair<std::int64_t, Clock::time_point>> eof_past;  // an end reported past `next`
  while (out.records.size() < request.max_records && next < high) {
    RdKafkaMessage m;
    if (reader->held) {
      m = std::move(reader->held);
    } else {
      if (eof_past && Clock::now() >= eof_past->second) {
        next = std::max(next, eof_past->first);
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      m.reset(rd_kafka_consume(reader->current, request.partition, static_cast<int>(std::min<long>(left, 20))));
      if (!m) continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (m->offset <= next) break;  // the end: nothing more now
      // An end past `next`: the last offsets were compacted away, or records are still on their
      // way (librdkafka can report the end of one fetch before the records of the next). Records
      // arriving within a short grace win; otherwise the gap is real and is skipped.
      if (!eof_past) eof_past = std::pair{m->offset, Clock::now() + kEndGrace};
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
      // Retention removed the start meanwhile: look again, and start over at the new earliest.
      if (++resets > 3) throw kafka_error(m->err, "reading " + where);
      query();
      if (next >= high) break;
      next = std::max(next, low);
      reader->start(topic, request.partition, next);
      continue;
    }
    if (m->err) {
      if (out.records.empty()) {
        reader->stop();
        throw kafka_error(m->err, "reading " + where);
      }
      break;
    }
    if (m->offset < next) continue;  // already handed out
    eof_past.reset();
    const auto size = m->len + m->key_len;
    if (!out.records.empty() && out.bytes + size > request.max_bytes) {
      reader->held = std::move(m);
      break;
    }
    FetchResult::Record r{};
    r.offset = m->offset;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    r.timestamp_ms = rd_kafka_message_timestamp(m.get(), &type);
    r.log_append_time = type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME;
    bool plain = true;
    if (m->key) {
      auto [pos, len] = append_text(out, {static_cast<const char*>(m->key), m->key_len}, plain);
      r.key_pos = pos;
      r.key_len = static_cast<std::int32_t>(len);
    } else {
      r.key_len = -1;
    }
    auto [pos, len] = append_text(out, {static_cast<const char*>(m->payload), m->len}, plain);
    r.value_pos = pos;
    r.value_len = len;
    r.plain_json = plain;
    out.records.push_back(r);
    out.bytes += size;
    next = m->offset + 1;
  }
  if (out.records.empty() && next < high && Clock::now() >= deadline) {
    reader->stop();
    throw ProxyError(ErrorKind::unavailable, "no answer for " + where + " within kafka_fetch_timeout_ms (" +
                                                 std::to_string(options_.fetch_timeout.count()) +
                                                 " ms): is its leader down?");
  }
  out.next_offset = next;
  reader->next = next;
  return out;
}

}  // namespace krest::proxy
