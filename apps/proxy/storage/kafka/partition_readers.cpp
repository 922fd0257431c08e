#include "storage/kafka/partition_readers.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <deque>
#include <exception>
#include <optional>

#include "api/json_text.hpp"
#include "api/utf8.hpp"
#include "storage/kafka/fetch_turn.hpp"
#include "storage/kafka/kafka_errors.hpp"

namespace krest::proxy {
namespace {

using Clock = FetchTurn::Clock;

// What a request reading on to its offset keeps for the requests that want it, per open partition
// (a window of 16 pages of 500 small records).
constexpr std::int64_t kAheadRecords = FetchTurn::kReadOnRecords;
constexpr std::size_t kAheadBytes = 4 << 20;
// Messages taken from librdkafka's queue for a partition at once, as many as are there, up to
// kFillMessages and about kFillBytes of keys and values (by the partition's messages so far: one
// at first). One at a time (rd_kafka_consume), each cost librdkafka its clock reads and the turn
// its own: reading the clock took 8.7 % of krest-proxy's CPU while it served a tail of 2,000,000
// records, and taking them together cut its CPU per record by 13-21 %.
constexpr std::size_t kFillMessages = 256;
constexpr double kFillBytes = 256 << 10;

int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaStats*>(opaque)->update(std::string_view(json, len));
  return 0;
}

std::size_t message_bytes(const rd_kafka_message_t& m) { return m.len + m.key_len; }

// What a consumer queues for a partition at most, as configured.
FetchTurn::Queue queue_of(rd_kafka_t* rk) {
  auto read = [rk](const char* name, std::size_t fallback) {
    char value[32];
    size_t size = sizeof value;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), name, value, &size) != RD_KAFKA_CONF_OK) return fallback;
    try {
      return static_cast<std::size_t>(std::stoull(value));
    } catch (const std::exception&) {
      return fallback;
    }
  };
  FetchTurn::Queue q;
  q.bytes = read("queued.max.messages.kbytes", q.bytes / 1024) * 1024;
  q.records = read("queued.min.messages", q.records);
  return q;
}

FetchTurn::Message::Kind kind_of(const rd_kafka_message_t& m) {
  using Kind = FetchTurn::Message::Kind;
  if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) return Kind::record;
  if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return Kind::end_of_partition;
  if (m.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
    return Kind::offsets_gone;
  return Kind::error;
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
  FetchTurn::Queue queue;  // as configured, the operator's properties included
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
  std::int64_t next = -1;      // the offset of the next message the fetch hands out
  FetchTurn::Drained drained;  // see FetchTurn::wake_due()
  // Taken from librdkafka's queue and not yet seen by a turn, in the fetch's order: the stream
  // goes on from the first (one that did not fit the last response is put back there).
  std::deque<RdKafkaMessage> pending;
  double message_bytes_seen = 0;  // keys and values of a message taken, averaged; 0 before the first
  // Messages a request read past on its way to its own offset, by offset, for the requests still
  // to come; at most kAheadRecords of them and kAheadBytes of keys and values.
  std::map<std::int64_t, RdKafkaMessage> ahead;
  std::size_t ahead_bytes = 0;
  std::list<std::shared_ptr<Session>>::iterator recent;
  Clock::time_point asked{};                     // when a request last asked for it; guarded by PartitionReaders::mu_
  std::atomic<std::uint64_t>* unused = nullptr;  // PartitionReaders' count of records fetched for nothing

  ~Session() { stop(); }

  void keep_ahead(RdKafkaMessage m) {
    const std::size_t bytes = message_bytes(*m);
    if (static_cast<std::int64_t>(ahead.size()) >= kAheadRecords || ahead_bytes + bytes > kAheadBytes) {
      unused->fetch_add(1, std::memory_order_relaxed);
      return;
    }
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
    if (unused) unused->fetch_add(ahead.size() + pending.size(), std::memory_order_relaxed);
    pending.clear();
    ahead.clear();
    ahead_bytes = 0;
    if (started) rd_kafka_consume_stop(rkt, partition);
    started = false;
    next = -1;
    drained = {};
  }
  // Wakes a fetch stopped with a full queue (FetchTurn::wake_due) by a seek to where it stands,
  // `offset`: its queue is empty, so the seek drops nothing but a fetch on its way.
  void wake(std::int64_t offset) {
    RdKafkaPartitionList at(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(at.get(), topic.c_str(), partition)->offset = offset;
    // Not waited for; a seek that fails leaves the fetch as it was, woken by librdkafka in time.
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer->rk.get(), at.get(), 0))
      rd_kafka_error_destroy(error);
  }
  // Takes up to `most` messages the fetch has ready into `pending`, without waiting; when it has
  // none, waits up to `wait` for one. False when none came.
  bool fill(std::size_t most, std::chrono::milliseconds wait) {
    if (message_bytes_seen > 0)  // (empty messages bring the average near 0: divided in doubles, bounded by `most`)
      most = static_cast<std::size_t>(std::min(static_cast<double>(most), kFillBytes / message_bytes_seen));
    std::array<rd_kafka_message_t*, kFillMessages> got{};
    const ssize_t n =
        rd_kafka_consume_batch(rkt, partition, 0, got.data(), std::clamp<std::size_t>(most, 1, got.size()));
    for (ssize_t i = 0; i < n; ++i) taken(got[static_cast<std::size_t>(i)]);
    if (n > 0) return true;
    rd_kafka_message_t* m = rd_kafka_consume(rkt, partition, static_cast<int>(wait.count()));
    if (!m) return false;
    taken(m);
    return true;
  }
  void taken(rd_kafka_message_t* m) {
    pending.emplace_back(m);
    const auto bytes = static_cast<double>(message_bytes(*m));
    message_bytes_seen = message_bytes_seen == 0 ? bytes : 0.9 * message_bytes_seen + 0.1 * bytes;
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
    c->rk = make_rdkafka(
        RD_KAFKA_CONSUMER, options_,
        {{"enable.partition.eof", "true"},
         {"auto.offset.reset", "error"},  // handled here: below the start or past the end
         // A fetch at a partition's end waits this long for records: short, so a
         // client polling a caught-up partition hears of new records quickly
         // (and the mock cluster's empty fetches cost little).
         {"fetch.wait.max.ms", "10"},
         // Per open partition (the simple consumer's queues are per partition).
         {"queued.max.messages.kbytes", std::to_string(FetchTurn::kQueueBytes / 1024)},
         {"queued.min.messages", std::to_string(FetchTurn::kQueueRecords)},
         {"statistics.interval.ms", "5000"},
         {"client.id", "krest-proxy-reader-" + std::to_string(i + 1)}},
        [](rd_kafka_conf_t* conf, void* opaque) {
          rd_kafka_conf_set_stats_cb(conf, &stats_cb);
          rd_kafka_conf_set_opaque(conf, opaque);
        },
        &stats);
    c->queue = queue_of(c->rk.get());
    consumers_.push_back(std::move(c));
  }
  offsets_ = make_rdkafka(RD_KAFKA_CONSUMER, options_, {{"client.id", "krest-proxy-offsets"}});
  sweeper_ = std::thread([this] { sweep(); });
}

PartitionReaders::~PartitionReaders() {
  {
    std::lock_guard lock(sweep_mu_);
    sweep_stopping_ = true;
  }
  sweep_wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
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
    it->second->asked = Clock::now();
    return it->second;
  }
  // Close the least recently read partitions nobody is reading, beyond the limit.
  for (auto r = recent_.end(); sessions_.size() >= options_.open_partitions && r != recent_.begin();) close_unread(--r);
  auto s = std::make_shared<Session>();
  s->consumer = consumers_[std::hash<std::string>{}(topic + "/" + std::to_string(partition)) % consumers_.size()].get();
  s->rkt = s->consumer->topic(topic);
  s->topic = topic;
  s->partition = partition;
  s->unused = &unused_records_;
  s->asked = Clock::now();
  recent_.push_front(s);
  s->recent = recent_.begin();
  sessions_[key] = s;
  return s;
}

bool PartitionReaders::close_unread(std::list<std::shared_ptr<Session>>::iterator& r) {
  {
    std::lock_guard idle((*r)->mu);
    if ((*r)->turns.busy()) return false;
    (*r)->stop();
  }
  sessions_.erase({(*r)->topic, (*r)->partition});
  r = recent_.erase(r);
  return true;
}

std::size_t PartitionReaders::open_sessions() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::size_t PartitionReaders::close_idle(Clock::time_point now) {
  const auto cutoff = now - options_.partition_idle;
  std::size_t closed = 0;
  std::lock_guard lock(mu_);
  // The least recently asked for are last: back from the end while they are idle. Stopped here, as
  // beyond the limit in session(): a request for the partition then opens a session anew.
  for (auto r = recent_.end(); r != recent_.begin();) {
    if ((*--r)->asked > cutoff) break;
    if (close_unread(r)) ++closed;
  }
  idle_closed_.fetch_add(closed, std::memory_order_relaxed);
  return closed;
}

void PartitionReaders::sweep() {
  // Looks twice per idle time (at most every 5 s): a session is closed within 1.5x of it.
  const Clock::duration every =
      std::clamp<Clock::duration>(options_.partition_idle / 2, std::chrono::milliseconds(50), std::chrono::seconds(5));
  std::unique_lock lock(sweep_mu_);
  while (!sweep_wake_.wait_for(lock, every, [this] { return sweep_stopping_; })) {
    lock.unlock();
    close_idle(Clock::now());
    lock.lock();
  }
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

FetchResult PartitionReaders::read_turn(Session& reader, const FetchRequest& request) {
  const std::string& topic = reader.topic;
  rd_kafka_t* rk = reader.consumer->rk.get();
  rd_kafka_poll(rk, 0);  // statistics and error callbacks
  const int timeout_ms = static_cast<int>(options_.fetch_timeout.count());
  const std::string where = "'" + topic + "' partition " + std::to_string(request.partition);
  auto ask = [&] {
    FetchTurn::Offsets o;
    auto err = rd_kafka_query_watermark_offsets(offsets_.get(), topic.c_str(), request.partition, &o.low, &o.high,
                                                timeout_ms);
    if (err) throw kafka_error(err, "offsets of " + where);
    return o;
  };

  const FetchTurn::Request asked{request.offset, request.max_records, request.max_bytes};
  const FetchTurn::Stream stream{reader.started, reader.next, reader.started && reader.ahead.count(request.offset) > 0,
                                 reader.drained, reader.consumer->queue};
  FetchTurn turn(asked, stream, Clock::now() + options_.fetch_timeout);
  std::optional<FetchTurn::Offsets> seen;
  if (FetchTurn::Offsets o; rd_kafka_get_watermark_offsets(rk, topic.c_str(), request.partition, &o.low, &o.high) == 0)
    seen = o;
  if (turn.must_ask(seen)) seen = ask();

  FetchResult out;
  const auto start = turn.begin(*seen);
  if (start == FetchTurn::Start::restart) {
    reader.start(turn.next_offset());
    stream_starts_.fetch_add(1, std::memory_order_relaxed);
  }
  // Records kept for this request by one that read past them: as many as follow in a row.
  while (turn.wants_kept()) {
    RdKafkaMessage m = reader.take_ahead(turn.next_offset());
    const std::optional<std::size_t> bytes = m ? std::optional(message_bytes(*m)) : std::nullopt;
    if (turn.take_kept(bytes))
      append_record(out, *m);
    else if (m)
      reader.keep_ahead(std::move(m));  // room: it was just taken out
  }
  // Messages taken together came together: the time they were taken is each one's.
  auto now = Clock::now();
  while (turn.wants_more()) {
    if (reader.pending.empty()) {
      const auto wait = turn.poll_wait(Clock::now());
      if (!wait) break;
      // No more than the turn may take: what it leaves waits for the partition's next request.
      const std::size_t wanted = request.max_records - turn.records();
      const bool came = reader.fill(wanted, *wait);
      now = Clock::now();
      if (!came) {
        if (turn.wake_due(now)) {
          reader.wake(turn.stream_next());
          stream_wakes_.fetch_add(1, std::memory_order_relaxed);
        }
        continue;
      }
    }
    RdKafkaMessage m = std::move(reader.pending.front());
    reader.pending.pop_front();
    const FetchTurn::Message seen_message{kind_of(*m), m->offset, message_bytes(*m)};
    switch (turn.on_message(seen_message, now)) {
      case FetchTurn::Verdict::take: append_record(out, *m); break;
      case FetchTurn::Verdict::keep_ahead: reader.keep_ahead(std::move(m)); break;
      case FetchTurn::Verdict::hold: reader.pending.push_front(std::move(m)); break;
      case FetchTurn::Verdict::drop: break;
      case FetchTurn::Verdict::ask_offsets:
        if (turn.restart_with(ask())) {
          reader.start(turn.next_offset());
          stream_starts_.fetch_add(1, std::memory_order_relaxed);
        }
        break;
      case FetchTurn::Verdict::fail:
        reader.stop();
        throw kafka_error(m->err, "reading " + where);
    }
  }
  if (turn.timed_out(Clock::now())) {
    reader.stop();
    throw ProxyError(ErrorKind::unavailable, "no answer for " + where + " within kafka_fetch_timeout_ms (" +
                                                 std::to_string(options_.fetch_timeout.count()) +
                                                 " ms): is its leader down?");
  }
  out.next_offset = turn.next_offset();
  reader.next = turn.stream_next();
  reader.drained = turn.stream_drained();
  return out;
}

}  // namespace krest::proxy
