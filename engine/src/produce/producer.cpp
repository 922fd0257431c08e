#include "krest/producer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>

#include <deque>
#include <map>
#include <random>

#include "api/metadata_body.hpp"
#include "api/partitioner.hpp"
#include "api/produce_response.hpp"
#include "api/topic_name.hpp"
#include "api/utf8.hpp"
#include "client/client_impl.hpp"
#include "flow/in_flight_limit.hpp"
#include "util/checked_options.hpp"
#include "produce/batch.hpp"
#include "util/signal.hpp"
#include "util/spawner.hpp"

namespace krest {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using produce::Batch;

std::vector<std::string> validate(const ProducerOptions& o) {
  std::vector<std::string> problems;
  if (o.batch_bytes < 1024) problems.push_back("batch_bytes: must be at least 1024");
  if (o.linger.count() < 0) problems.push_back("linger: must not be negative");
  if (o.max_in_flight.max < 1 || o.max_in_flight.max > 1024) problems.push_back("max_in_flight: must be 1..1024");
  if (o.buffer_bytes < o.batch_bytes) problems.push_back("buffer_bytes: must be at least batch_bytes");
  if (o.delivery_timeout.count() <= 0) problems.push_back("delivery_timeout: must be positive");
  if (o.retry_initial.count() <= 0) problems.push_back("retry_initial: must be positive");
  if (o.retry_max < o.retry_initial) problems.push_back("retry_max: must be at least retry_initial");
  return problems;
}

namespace {

// The key bytes the proxy hashes: a JSON string's characters, any other JSON value's text.
std::string stored_key(const Record& r) {
  if (!r.key_json) return *r.key;
  boost::json::error_code ec;
  auto v = boost::json::parse(*r.key, ec);
  if (!ec && v.is_string()) return std::string(v.get_string());
  return *r.key;
}

}  // namespace

struct Producer::Impl : std::enable_shared_from_this<Producer::Impl> {
  Impl(Client& c, ProducerOptions o)
      : client_alive(impl_of(c).self.lock()),
        client(*client_alive),
        options(util::checked(std::move(o), "producer")),
        limit(options.max_in_flight, client.options.pool.connections, weight_of(kLongLinkBatchRecords), kInitialLimit,
              kInitialLimitRtt),
        changed(client.ex) {
    limit.watch_connecting([&pool = client.pool] { return pool.requests_stalled_connecting(flow::Clock::now()) > 0; });
    limit.watch_connect_time([&pool = client.pool] { return pool.fastest_connect(); });
    // A long link known from a connect widens the limit: from the start where the client has
    // connected already, and otherwise with the first connect (batches waiting go at once).
    limit.learn_link();
    connect_watch = client.pool.watch_connects([this] {
      if (!closed && limit.learn_link()) pump();
    });
  }

  struct Lane {
    std::unique_ptr<Batch> open;
    std::size_t open_records = 0;  // records the open batch takes at most (batch_records())
    bool busy = false;  // ordered mode: a batch of this lane is in flight
  };

  // Records in a POST opened now: batch_records when set. Otherwise 500, and 1000 once the link is
  // known to be InFlightLimit::kWarmAheadRtt (10 ms) or longer (by the first connect): fewer
  // requests for the same records, and fewer connections for them at once. Not 2000 (before):
  // TCP sends a fresh connection's first 14 KB in a round trip, and again after an idle RTO
  // (Linux's slow start after idle), and the demo's 2000 records compressed are 18 KB: with slow
  // start emulated (krest-netem --slow-start), 1000 ran 1.01-1.26x of 2000 at 20 and 80 ms
  // (without it 0.92-0.95x: real links start slow; docs/ENGINE.md). On shorter links it was mixed
  // (0.96-1.18x at 0.2 and 2 ms, 0.93x straight to a krest-proxy on loopback, where the proxy's
  // CPU time bounds a load): 500 there. Weighed by weight_of(), a 1000-record POST takes twice the
  // room of a 500-record one, so the bytes in flight do not jump when POSTs grow, before
  // compression turns on where the link is slow. A pinned limit counts requests, and there they
  // wait for 16 timed bodies, by when compression is on where the link is slow: from the first
  // connect, 32 POSTs of 2000 records filled a 100 Mbit/s link at 20 ms with uncompressed bodies
  // (0.69x).
  // Where the adapted limit starts on a short link: 8 POSTs of 500 records, not the consumer's
  // 16 fetches. Every POST of the first round goes out before any answer times a body, so
  // uncompressed: at 0.2 ms and 100 Mbit/s, 16 of them held the link for 60 ms before the bodies
  // after them went compressed, and a load ran at 0.89x (and 0.85-0.91x in earlier tables) of
  // `--in-flight 8`. Through krest-netem, 5-6 interleaved loads of 500,000 events each: 1.15x at
  // 0.2 ms and 100 Mbit/s (as fast as `--in-flight 8`), 1.02x at 1 Gbit/s, 1.05x with no cap,
  // 1.01x at 2 ms and 1 Gbit/s, 0.98x at 2 ms and 100 Mbit/s (noise), 1.00x at 20 ms; started
  // at 8 too, tails at 2 ms read 0.95x, so the consumer keeps 16. Longer links start as wide as
  // before: 8 per 5 ms of round trip, the default's 16 per 10 ms.
  static constexpr std::size_t kInitialLimit = 8;
  static constexpr std::chrono::milliseconds kInitialLimitRtt{5};
  static constexpr std::size_t kAutoBatchRecords = 500;
  static constexpr std::size_t kLongLinkBatchRecords = 1000;
  std::size_t batch_records() const {
    if (options.batch_records > 0) return options.batch_records;
    if (!limit.link_known_long()) return kAutoBatchRecords;
    return limit.adaptive() || client.compression.link_measured() ? kLongLinkBatchRecords : kAutoBatchRecords;
  }
  // What a POST of `records` counts for in the adapted limit: with batch_records auto, a unit per
  // 500 records, so that the limit, its rates and its product keep their meaning when POSTs grow.
  // Counted as requests (when POSTs grew to 2000), startup doubled them to 128 whatever each
  // carried: four times the records in flight a link of 20 ms needed, on 128 connections (their
  // handshakes taking CPU from the load), and the defaults there ran 0.84-0.88x of a pinned
  // --in-flight 32. Pinned batch_records: a request each, as the setting reads.
  std::uint64_t weight_of(std::size_t records) const {
    if (options.batch_records > 0) return 1;
    return std::max<std::size_t>(1, (records + kAutoBatchRecords - 1) / kAutoBatchRecords);
  }
  using LaneKey = std::pair<std::string, std::int32_t>;

  std::shared_ptr<Client::Impl> client_alive;  // first: the last to go, after what may use the client
  Client::Impl& client;
  ProducerOptions options;
  flow::InFlightLimit limit;  // POSTs at once: max_in_flight, adapted or pinned
  pool::ConnectionPool::ConnectWatch connect_watch;  // widens the limit once a connect shows a long link
  util::Signal changed;  // buffer space freed, records reported, batches finished
  std::map<LaneKey, Lane> lanes;
  std::deque<std::unique_ptr<Batch>> ready;
  std::map<std::string, std::int32_t, std::less<>> partition_counts;  // ordered mode
  std::map<std::string, std::int32_t, std::less<>> sticky;            // ordered mode, keyless records
  std::size_t buffered = 0, pending = 0, in_flight = 0;
  std::size_t in_flight_units = 0;  // the POSTs in flight, by weight_of()
  std::size_t ready_units = 0;      // the batches in `ready`, by weight_of()
  std::uint64_t next_id = 1;
  bool closed = false;
  util::Spawner deliveries{client.ex};  // deliver() knows whether it still runs inside pump()
  std::shared_ptr<const Error> last_failure;  // of the last record that failed
  std::minstd_rand rng{std::random_device{}()};
  std::string current_topic;  // see select_topic()
  Lane* last_lane = nullptr;   // lanes are never erased, so this stays valid
  std::int32_t last_lane_id = 0;
  std::vector<std::unique_ptr<Batch>> spare_batches;  // delivered, kept for reuse
  std::vector<api::RecordPosition> positions;         // report_stored()'s scratch

  asio::awaitable<std::int32_t> partition_count(const std::string& topic) {
    if (auto it = partition_counts.find(topic); it != partition_counts.end()) co_return it->second;
    const auto partitions = co_await read_partitions(client, topic);
    const auto n = static_cast<std::int32_t>(partitions.size());
    if (n < 1) throw Error(Error::Kind::protocol, "partitions of " + topic + ": the topic has none");
    partition_counts[topic] = n;
    co_return n;
  }

  // Which lane a record joins, and the partition to write into its JSON.
  struct Placement {
    std::int32_t lane = -1;
    std::optional<std::int32_t> partition;
  };
  // Without waiting: false when ordered mode needs a partition count not read yet. (An out
  // parameter, not an optional<Placement>: built in memory and returned in registers, that cost
  // a store-forwarding stall on every record.)
  bool place_now(const std::string& topic, const Record& r, Placement& out) {
    out.partition = r.partition;
    if (!options.ordered) {
      out.lane = -1;
      return true;
    }
    if (r.partition) {
      out.lane = *r.partition;
      return true;
    }
    auto known = partition_counts.find(topic);
    if (known == partition_counts.end()) return false;
    const std::int32_t n = known->second;
    // A keyed record is left for the proxy to place (the same murmur2); its lane is where the
    // key hashes, so one key's records always share a lane whatever the proxy decides.
    if (r.key) {
      out.lane = api::partition_for_key(stored_key(r), n);
      return true;
    }
    auto it = sticky.try_emplace(topic, static_cast<std::int32_t>(rng() % static_cast<unsigned>(n))).first;
    out.lane = it->second;
    out.partition = it->second;
    return true;
  }

  void check(const Record& r) const {
    if (closed) throw Error(Error::Kind::closed, "the producer is closed");
    if (r.key && r.key_json && r.key->empty()) throw Error(Error::Kind::invalid, "key: empty JSON text");
    if (r.value_json && r.value.empty()) throw Error(Error::Kind::invalid, "value: empty JSON text");
    // Here, not as the proxy's "malformed JSON at byte N" for the whole batch later.
    if (!api::valid_utf8(r.value))
      throw Error(Error::Kind::invalid,
                  "value: not UTF-8 text (the v1 API carries text; send binary data base64-encoded: krest::to_base64)");
    if (r.key && !api::valid_utf8(*r.key))
      throw Error(Error::Kind::invalid,
                  "key: not UTF-8 text (the v1 API carries text; send binary data base64-encoded: krest::to_base64)");
  }

  // Makes `topic` the one records are appended to; its name is checked once per change, and the
  // lane of the previous record is reused while neither topic nor lane changes.
  void select_topic(std::string_view topic) {
    if (topic == current_topic) return;
    if (auto problem = api::check_topic_name(topic)) throw Error(Error::Kind::invalid, "topic '" + std::string(topic) + "': " + *problem);
    current_topic.assign(topic);
    last_lane = nullptr;
  }

  static std::size_t estimate(const Record& r) { return r.value.size() + (r.key ? r.key->size() : 0) + 48; }
  // A record larger than the whole buffer may still go, alone. Besides the buffer's bytes, the
  // batches closed and waiting for a connection are held to max_in_flight, as those in flight are
  // (by weight when adapted): more would add latency and memory, not speed (a 64 MiB buffer of
  // waiting batches is a thousand bodies allocated and first touched, then sent after their bytes
  // have left the cache).
  bool has_room(std::size_t bytes) const {
    return buffered == 0 || (buffered + bytes <= options.buffer_bytes && limit.room(ready.size(), ready_units));
  }

  // The fast path: no coroutine, no wait. False (the record untouched) when it would have to wait.
  bool try_send(std::string_view topic, Record& r, const DeliveryCallback& cb) {
    check(r);
    select_topic(topic);
    Placement placed;
    if (!place_now(current_topic, r, placed) || !has_room(estimate(r))) return false;
    append(r, cb, placed);
    return true;
  }

  // By reference: the caller's job holds the record until this returns.
  asio::awaitable<void> send(const std::string& topic, Record& r, DeliveryCallback& cb) {
    check(r);
    select_topic(topic);
    if (options.ordered && !r.partition) co_await partition_count(topic);
    while (!has_room(estimate(r))) {
      co_await changed.wait();
      check(r);
    }
    // Other senders may have switched topics while this one waited.
    select_topic(topic);
    Placement placed;
    place_now(current_topic, r, placed);  // the count was read above
    append(r, cb, placed);
  }

  Lane& lane_for(std::int32_t lane_id) {
    if (last_lane && lane_id == last_lane_id) return *last_lane;
    last_lane = &lanes[LaneKey{current_topic, lane_id}];
    last_lane_id = lane_id;
    return *last_lane;
  }

  void append(const Record& r, const DeliveryCallback& cb, const Placement& placed) {
    const std::size_t bytes = estimate(r);
    Lane& lane = lane_for(placed.lane);
    if (lane.open && lane.open->body.size() + bytes > options.batch_bytes) close_batch(lane);
    if (!lane.open) open_batch(lane, current_topic, placed.lane);
    Batch& b = *lane.open;
    const std::size_t before = b.body.size();
    b.add(r, placed.partition, cb);
    const std::size_t added = b.body.size() - before;
    b.accounted_bytes += added;
    buffered += added;
    ++pending;
    if (b.records() >= lane.open_records || b.body.size() >= options.batch_bytes) close_batch(lane);
  }

  void open_batch(Lane& lane, const std::string& topic, std::int32_t lane_id) {
    // Sized for a full batch (up to a point) so that appending records never reallocates.
    const std::size_t body_bytes = std::min<std::size_t>(options.batch_bytes, 256 * 1024);
    if (spare_batches.empty()) {
      lane.open = std::make_unique<Batch>(client.bodies.take(body_bytes));
    } else {
      lane.open = std::move(spare_batches.back());
      spare_batches.pop_back();
      lane.open->reuse(client.bodies.take(body_bytes));
    }
    lane.open_records = batch_records();
    lane.open->reserve(body_bytes, std::min<std::size_t>(lane.open_records, 4096));
    lane.open->topic = topic;
    lane.open->lane = lane_id;
    lane.open->id = next_id++;
    lane.open->deadline = Clock::now() + options.delivery_timeout;
    // Linger: the batch goes when full or when this timer fires, whichever is first.
    asio::co_spawn(
        client.ex,
        [self = shared_from_this(), key = LaneKey{topic, lane_id}, id = lane.open->id]() -> asio::awaitable<void> {
          asio::steady_timer t(self->client.ex, self->options.linger);
          co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
          auto it = self->lanes.find(key);
          if (it != self->lanes.end() && it->second.open && it->second.open->id == id) self->close_batch(it->second);
        },
        asio::detached);
  }

  void close_batch(Lane& lane) {
    lane.open->finish();
    const Batch& b = *lane.open;
    if (options.ordered) {
      // Keyless records move on to the next partition with the next batch.
      auto it = sticky.find(b.topic);
      if (it != sticky.end() && it->second == b.lane) it->second = (it->second + 1) % partition_counts[b.topic];
    }
    ready_units += weight_of(lane.open->records());
    ready.push_back(std::move(lane.open));
    pump();
  }

  Lane& lane_of(const Batch& b) { return lanes[LaneKey{b.topic, b.lane}]; }

  void pump() {
    // Batches waiting for a free slot: the limit holds the sender back, and is about to grow.
    if (!ready.empty() && !limit.room(in_flight, in_flight_units))
      client.pool.warm(limit.wanted_connections(weight_of(batch_records())));
    while (limit.room(in_flight, in_flight_units)) {
      auto it = ready.begin();
      if (options.ordered)
        while (it != ready.end() && lane_of(**it).busy) ++it;
      if (it == ready.end()) return;
      std::unique_ptr<Batch> b = std::move(*it);
      ready.erase(it);
      const auto weight = weight_of(b->records());
      ready_units -= weight;
      ++in_flight;
      in_flight_units += weight;
      if (options.ordered) lane_of(*b).busy = true;
      deliveries.spawn(deliver(std::move(b)));
    }
  }

  asio::awaitable<void> deliver(std::unique_ptr<Batch> b) {
    auto self = shared_from_this();  // the batch's work outlives a Producer destroyed meanwhile
    const std::size_t records = b->records();
    co_await send_batch(*b);
    client.bodies.give(std::move(b->body));
    --in_flight;
    in_flight_units -= weight_of(records);
    buffered -= b->accounted_bytes;
    pending -= records;
    if (options.ordered) lane_of(*b).busy = false;
    if (spare_batches.size() < limit.value()) {
      b->callbacks.clear();  // the application's callbacks are not held past delivery
      spare_batches.push_back(std::move(b));
    }
    changed.notify_all();
    pump();
  }

  // Sends one batch until it is stored, split, or out of time; reports every record.
  asio::awaitable<void> send_batch(Batch& b) {
    std::chrono::milliseconds backoff = options.retry_initial;
    for (;;) {
      http::Request req{bhttp::verb::post, client.target("/v1/producer/topics/" + path_segment(b.topic)), 11};
      req.set(bhttp::field::content_type, "application/json");
      req.body() = std::move(b.body);
      http::Exchange x;
      std::shared_ptr<const Error> failure;
      const auto ticket = limit.sent(in_flight_units, weight_of(b.records()));
      try {
        x = co_await client.send(req);
        limit.answered(ticket, x);
      } catch (const Error& e) {
        limit.unmeasured(ticket);
        failure = std::make_shared<Error>(e);
      } catch (const std::exception& e) {
        // Anything else would vanish in the detached coroutine and leave the batch unreported.
        limit.unmeasured(ticket);
        failure = std::make_shared<Error>(Error::Kind::protocol, "produce to " + b.topic + ": " + e.what());
      }
      b.body = std::move(req.body());
      if (!failure && !x.ec && x.response.result_int() == 200) {
        // Reported outside pump()'s spawn: in there the application's callbacks would run inside
        // the try_send() or send() that closed the batch, and a delivery ending there would call
        // pump() inside itself.
        co_await deliveries.leave_spawner();
        report_stored(b, x.response.body());
        client.bodies.give(std::move(x.response.body()));
        co_return;
      }
      if (!failure) failure = std::make_shared<Error>(client.error_of(x, "produce to " + b.topic));

      // The proxy refused the request as a whole: halve it until the record at fault stands alone,
      // so every other record still gets through.
      if ((failure->status() == 400 || failure->status() == 413) && b.records() > 1) {
        const std::size_t half = b.records() / 2;
        Batch first = b.slice(0, half), second = b.slice(half, b.records());
        co_await send_batch(first);
        co_await send_batch(second);
        co_return;
      }
      auto jittered =
          backoff - std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, backoff.count() / 4)(rng));
      // A proxy that says when to come back (429, 503 with Retry-After) is taken at its word.
      if (!x.ec) jittered = std::max(jittered, http::retry_after(x.response));
      if (failure->retriable() && Clock::now() + jittered < b.deadline) {
        ClientCounters::add(client.counters.retries);
        asio::steady_timer t(client.ex, jittered);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        backoff = std::min(backoff * 2, options.retry_max);
        continue;
      }
      co_await deliveries.leave_spawner();
      report_failed(b, failure);
      co_return;
    }
  }

  // Hands each record of `b` its result, `fill(i, d)` writing record i's into d: to the record's
  // own callback, else to the producer-wide one.
  template <class Fill>
  void report(const Batch& b, Fill fill) {
    if (b.callbacks.empty() && !options.on_delivery) return;
    auto own = b.callbacks.begin();
    Delivery d;
    for (std::size_t i = 0; i < b.records(); ++i) {
      fill(i, d);
      d.tag = b.tags[i];
      if (own != b.callbacks.end() && own->first == i) {
        own->second(d);
        ++own;
      } else if (options.on_delivery) {
        options.on_delivery(d);
      }
    }
  }

  void report_stored(const Batch& b, const std::string& response_body) {
    ClientCounters::add(client.counters.records_produced, b.records());
    if (b.callbacks.empty() && !options.on_delivery) return;
    if (api::parse_produce_response(response_body, b.records(), positions)) {
      report(b, [&](std::size_t i, Delivery& d) {
        d.partition = positions[i].partition;
        d.offset = positions[i].offset;
      });
    } else {
      // A 200 without positions (HDInsight's answer has none): only what the record asked for.
      report(b, [&](std::size_t i, Delivery& d) { d.partition = b.partitions[i].value_or(-1); });
    }
  }

  void report_failed(const Batch& b, const std::shared_ptr<const Error>& error) {
    ClientCounters::add(client.counters.records_failed, b.records());
    last_failure = error;
    report(b, [&](std::size_t, Delivery& d) { d.error = error; });
  }

  void close_all_open() {
    for (auto& [key, lane] : lanes)
      if (lane.open) close_batch(lane);
  }

  struct SendJob {
    std::string topic;
    Record record;
    DeliveryCallback on_delivery;
  };

  static asio::awaitable<void> send_job(std::shared_ptr<Impl> self, std::shared_ptr<SendJob> job) {
    co_await self->send(job->topic, job->record, job->on_delivery);
  }

  static asio::awaitable<Delivery> produce_job(std::shared_ptr<Impl> self, std::shared_ptr<SendJob> job) {
    auto result = std::make_shared<std::optional<Delivery>>();
    auto done = std::make_shared<util::Signal>(self->client.ex);
    job->on_delivery = [result, done](const Delivery& d) {
      *result = d;
      done->notify_all();
    };
    co_await self->send(job->topic, job->record, job->on_delivery);
    while (!*result) co_await done->wait();
    co_return **result;
  }

  asio::awaitable<void> flush() {
    close_all_open();
    while (pending > 0) co_await changed.wait();
  }

  asio::awaitable<bool> flush_until(Clock::time_point deadline) {
    close_all_open();
    while (pending > 0 && Clock::now() < deadline) co_await changed.wait(deadline);
    co_return pending == 0;
  }
};

Producer::Producer(Client& client, ProducerOptions options)
    : impl_(std::make_shared<Impl>(client, std::move(options))) {}

Producer::~Producer() = default;

// Not coroutines themselves: the record goes into a heap job at once, and the coroutine that does
// the work takes only that pointer. (GCC 12 miscompiles coroutine parameters holding strings,
// relocating them bytewise; see docs/ENGINE.md.)
asio::awaitable<void> Producer::send(std::string_view topic, Record&& record, const DeliveryCallback& on_delivery) {
  auto job = std::make_shared<Impl::SendJob>(Impl::SendJob{std::string(topic), std::move(record), on_delivery});
  return impl_->send_job(impl_, std::move(job));
}

bool Producer::try_send(std::string_view topic, Record& record, const DeliveryCallback& on_delivery) {
  return impl_->try_send(topic, record, on_delivery);
}

asio::awaitable<void> Producer::send(std::string_view topic, Record&& record) {
  auto job = std::make_shared<Impl::SendJob>(Impl::SendJob{std::string(topic), std::move(record), {}});
  return impl_->send_job(impl_, std::move(job));
}

asio::awaitable<Delivery> Producer::produce(std::string_view topic, Record&& record) {
  auto job = std::make_shared<Impl::SendJob>(Impl::SendJob{std::string(topic), std::move(record), {}});
  return impl_->produce_job(impl_, std::move(job));
}

asio::awaitable<void> Producer::flush() { co_await impl_->flush(); }

asio::awaitable<bool> Producer::flush(std::chrono::milliseconds timeout) {
  return impl_->flush_until(Clock::now() + timeout);
}

asio::awaitable<void> Producer::close() {
  co_await impl_->flush();
  impl_->closed = true;
  impl_->changed.notify_all();
}

std::shared_ptr<const Error> Producer::last_error() const { return impl_->last_failure; }

ProducerStats Producer::stats() const {
  return {impl_->buffered, impl_->pending, impl_->in_flight,
          impl_->limit.requests(impl_->weight_of(impl_->batch_records()))};
}

}  // namespace krest
