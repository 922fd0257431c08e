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
// How far ahead of its partition's position a request may be and still read on to its offset,
// keeping what it passes for the requests that want it (a windowed client's pages arrive out of
// order); farther, the fetch restarts at the request's offset.
// What it keeps is bounded per open partition (a window of 16 pages of 500 small records).
constexpr std::int64_t kAheadRecords = 8000;
constexpr std::size_t kAheadBytes = 4 << 20;

int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaStats*>(opaque)->update(std::string_view(json, len));
  return 0;
}

std::size_t message_bytes(const rd_kafka_message_t& m) { return m.len + m.key_len; }

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

void append_record(FetchResult& out, const rd_kafka_message_t& m) {
  FetchResult::Record r{};
  r.offset = m.offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  r.timestamp_ms = rd_kafka_message_timestamp(&m, &type);
  r.log_append_time = type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME;
  bool plain = true;
  if (m.key) {
    auto [pos, len] = append_text(out, {static_cast<const char*>(m.key), m.key_len}, plain);
    r.key_pos = pos;
    r.key_len = static_cast<std::int32_t>(len);
  } else {
    r.key_len = -1;
  }
  auto [pos, len] = append_text(out, {static_cast<const char*>(m.payload), m.len}, plain);
  r.value_pos = pos;
  r.value_len = len;
  r.plain_json = plain;
  out.records.push_back(r);
  out.bytes += message_bytes(m);
}

}  // namespace

// One librdkafka consumer: its fetcher threads serve every session placed on it.
struct PartitionReaders::Consumer {
  RdKafkaHandle rk;
  std::mutex mu;
  std::map<std::string, rd_kafka_topic_t*> topics;  // guarded by mu

  ~Consumer() {
    for (auto& [name, rkt] : topics) rd_kafka_topic_destroy(rkt);
  }
  rd_kafka_topic_t* topic(const std::string& name) {
    std::lock_guard lock(mu);
    auto& rkt = topics[name];
    if (!rkt) rkt = rd_kafka_topic_new(rk.get(), name.c_str(), nullptr);
    return rkt;
  }
};

// One partition being read, by one request at a time (`turns`, under `mu`); the rest of its state
// belongs to the request whose turn it is.
struct PartitionReaders::Session {
  Consumer* consumer = nullptr;
  rd_kafka_topic_t* rkt = nullptr;
  std::string topic;
  std::int32_t partition = 0;
  std::mutex mu;
  ReadTurns turns;                                              // guarded by mu
  std::map<ReadTurns::Ticket, std::function<void()>> waiting;  // wakers; guarded by mu
  bool started = false;
  std::int64_t next = -1;  // the offset of the next message the fetch hands out
  RdKafkaMessage held;     // polled but not returned (it did not fit the last response)
  // Messages a request read past on its way to its own offset, by offset, for the requests still
  // to come; at most kAheadRecords of them and kAheadBytes of keys and values.
  std::map<std::int64_t, RdKafkaMessage> ahead;
  std::size_t ahead_bytes = 0;
  std::list<std::shared_ptr<Session>>::iterator recent;

  ~Session() { stop(); }

  void keep_ahead(RdKafkaMessage m) {
    const std::size_t bytes = message_bytes(*m);
    if (static_cast<std::int64_t>(ahead.size()) >= kAheadRecords || ahead_bytes + bytes > kAheadBytes) return;
    if (ahead.try_emplace(m->offset, std::move(m)).second) ahead_bytes += bytes;
  }
  RdKafkaMessage take_ahead(std::int64_t offset) {
    auto it = ahead.find(offset);
    if (it == ahead.end()) return nullptr;
    RdKafkaMessage m = std::move(it->second);
    ahead.erase(it);
    ahead_bytes -= message_bytes(*m);
    return m;
  }

  void stop() {
    held.reset();
    ahead.clear();
    ahead_bytes = 0;
    if (started) rd_kafka_consume_stop(rkt, partition);
    started = false;
    next = -1;
  }
  // Starts fetching at `offset`, dropping whatever was fetched from elsewhere.
  void start(std::int64_t offset) {
    stop();
    if (rd_kafka_consume_start(rkt, partition, offset) != 0)
      throw kafka_error(rd_kafka_last_error(), "cannot read '" + topic + "' partition " + std::to_string(partition));
    started = true;
    next = offset;
  }
};

PartitionReaders::PartitionReaders(const KafkaOptions& options, KafkaStats& stats) : options_(options) {
  for (std::size_t i = 0; i < options_.consumers; ++i) {
    auto c = std::make_unique<Consumer>();
    c->rk = make_rdkafka(RD_KAFKA_CONSUMER, options_,
                         {{"enable.partition.eof", "true"},
                          {"auto.offset.reset", "error"},  // handled here: below the start or past the end
                          // A fetch at a partition's end waits this long for records: short, so a
                          // client polling a caught-up partition hears of new records quickly
                          // (and the mock cluster's empty fetches cost little).
                          {"fetch.wait.max.ms", "10"},
                          // Per open partition (the simple consumer's queues are per partition).
                          {"queued.max.messages.kbytes", "2048"},
                          {"queued.min.messages", "20000"},
                          {"statistics.interval.ms", "5000"},
                          {"client.id", "krest-proxy-reader-" + std::to_string(i + 1)}},
                         [](rd_kafka_conf_t* conf, void* opaque) {
                           rd_kafka_conf_set_stats_cb(conf, &stats_cb);
                           rd_kafka_conf_set_opaque(conf, opaque);
                         },
                         &stats);
    consumers_.push_back(std::move(c));
  }
}

PartitionReaders::~PartitionReaders() {
  recent_.clear();
  sessions_.clear();  // sessions stop before their consumers go
}

std::shared_ptr<PartitionReaders::Session> PartitionReaders::session(const std::string& topic,
                                                                      std::int32_t partition) {
  std::lock_guard lock(mu_);
  auto key = std::pair{topic, partition};
  auto it = sessions_.find(key);
  if (it != sessions_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second->recent);  // now the most recent
    return it->second;
  }
  // Close the least recently read partitions nobody is reading, beyond the limit.
  for (auto r = recent_.end(); sessions_.size() >= options_.open_partitions && r != recent_.begin();) {
    --r;
    {
      std::lock_guard idle((*r)->mu);
      if ((*r)->turns.busy()) continue;
      (*r)->stop();
    }
    sessions_.erase({(*r)->topic, (*r)->partition});
    r = recent_.erase(r);
  }
  auto s = std::make_shared<Session>();
  s->consumer = consumers_[std::hash<std::string>{}(topic + "/" + std::to_string(partition)) % consumers_.size()].get();
  s->rkt = s->consumer->topic(topic);
  s->topic = topic;
  s->partition = partition;
  recent_.push_front(s);
  s->recent = recent_.begin();
  sessions_[key] = s;
  return s;
}

bool PartitionReaders::request_turn(Session& s, std::int64_t offset, std::function<void()> granted,
                                    ReadTurns::Ticket& ticket) {
  std::lock_guard lock(s.mu);
  auto [t, now] = s.turns.arrive(offset);
  ticket = t;
  if (!now) s.waiting.emplace(t, std::move(granted));
  return now;
}

bool PartitionReaders::give_up(Session& s, ReadTurns::Ticket ticket) {
  std::lock_guard lock(s.mu);
  s.waiting.erase(ticket);
  return s.turns.leave(ticket);
}

void PartitionReaders::end_turn(Session& s) {
  std::function<void()> wake;
  {
    std::lock_guard lock(s.mu);
    // The stream's state is the turn holder's, which is this thread until the turn is handed on.
    ReadTurns::Stream where{s.started, s.next, kAheadRecords,
                            [&s](std::int64_t offset) { return s.ahead.count(offset) > 0; }};
    if (auto next = s.turns.finish(where)) {
      auto it = s.waiting.find(*next);
      wake = std::move(it->second);
      s.waiting.erase(it);
    }
  }
  if (wake) wake();
}

FetchResult PartitionReaders::read(Session& s, const FetchRequest& request) {
  struct EndTurn {
    PartitionReaders& readers;
    Session& s;
    ~EndTurn() { readers.end_turn(s); }
  } end{*this, s};
  return read_turn(s, request);
}

FetchResult PartitionReaders::read_turn(Session& session, const FetchRequest& request) {
  Session* reader = &session;
  const std::string& topic = session.topic;
  rd_kafka_t* rk = reader->consumer->rk.get();
  rd_kafka_poll(rk, 0);  // statistics and error callbacks
  const int timeout_ms = static_cast<int>(options_.fetch_timeout.count());
  const std::string where = "'" + topic + "' partition " + std::to_string(request.partition);

  std::int64_t low = -1, high = -1;
  auto query = [&] {
    auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), request.partition, &low, &high, timeout_ms);
    if (err) throw kafka_error(err, "offsets of " + where);
  };
  // The fetch carries on from where it stands for a request at that place, for one a little ahead
  // (reading on to it, keeping what it passes), and for one whose first record was kept so;
  // anything else restarts it.
  const bool in_stream = reader->started && request.offset >= reader->next &&
                         request.offset - reader->next <= kAheadRecords;
  const bool kept = reader->started && reader->ahead.count(request.offset) > 0;
  // A reader already fetching this partition knows its end from its own fetches; but a request
  // ahead of the fetch, at or past that end, asks the broker, as another client may just have
  // written there.
  if (!(in_stream || kept) ||
      rd_kafka_get_watermark_offsets(rk, topic.c_str(), request.partition, &low, &high) != 0 || high < 0 ||
      (request.offset > reader->next && request.offset >= high))
    query();

  FetchResult out;
  out.next_offset = request.offset;
  if (request.offset >= high) return out;
  std::int64_t next = std::max(request.offset, low);
  if (kept && next == request.offset) {
    // Records kept for this request by one that read past them: as many as follow in a row.
    bool full = false;
    while (out.records.size() < request.max_records) {
      RdKafkaMessage m = reader->take_ahead(next);
      if (!m) break;
      if (!out.records.empty() && out.bytes + message_bytes(*m) > request.max_bytes) {
        reader->keep_ahead(std::move(m));  // room: it was just taken out
        full = true;
        break;
      }
      append_record(out, *m);
      next = m->offset + 1;
    }
    // Done unless the kept records end where the fetch stands and there is room for more.
    if (full || out.records.size() == request.max_records || next != reader->next) {
      out.next_offset = next;
      return out;
    }
  } else if (!in_stream || next != request.offset) {
    reader->start(next);
  }

  std::int64_t stream = reader->next;  // the offset of the next message the fetch hands out
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
        stream = std::max(stream, eof_past->first);
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      m.reset(rd_kafka_consume(reader->rkt, request.partition, static_cast<int>(std::min<long>(left, 20))));
      if (!m) continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // An end below `high` is old news: it was reached before the records up to `high` were written
      // (a fetch that ran ahead of this request met it), and they are on their way.
      if (m->offset < high) continue;
      if (m->offset <= next) {  // the end: nothing more now
        stream = std::max(stream, m->offset);
        break;
      }
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
      reader->start(next);
      stream = next;
      continue;
    }
    if (m->err) {
      if (out.records.empty()) {
        reader->stop();
        throw kafka_error(m->err, "reading " + where);
      }
      break;
    }
    if (m->offset < next) {
      // Read past on the way to this request's offset: kept for the request that wants it.
      if (m->offset >= stream) {
        stream = m->offset + 1;
        reader->keep_ahead(std::move(m));
      }
      continue;
    }
    eof_past.reset();
    if (!out.records.empty() && out.bytes + message_bytes(*m) > request.max_bytes) {
      stream = m->offset;
      reader->held = std::move(m);
      break;
    }
    append_record(out, *m);
    next = m->offset + 1;
    stream = next;
  }
  if (out.records.empty() && next < high && Clock::now() >= deadline) {
    reader->stop();
    throw ProxyError(ErrorKind::unavailable, "no answer for " + where + " within kafka_fetch_timeout_ms (" +
                                                 std::to_string(options_.fetch_timeout.count()) +
                                                 " ms): is its leader down?");
  }
  out.next_offset = next;
  reader->next = stream;
  return out;
}

}  // namespace krest::proxy
