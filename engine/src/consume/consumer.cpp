#include "krest/consumer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <array>
#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <utility>

#include "api/consume_body.hpp"
#include "api/metadata_body.hpp"
#include "client/client_impl.hpp"
#include "flow/in_flight_limit.hpp"
#include "util/checked_options.hpp"
#include "consume/fetch_size.hpp"
#include "consume/fetch_window.hpp"
#include "util/signal.hpp"
#include "util/spawner.hpp"

namespace krest {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::vector<std::string> validate(const ConsumerOptions& o) {
  std::vector<std::string> problems;
  if (o.fetch_records < 0) problems.push_back("fetch_records: must be 0 (auto) or more");
  if (o.window.max < 1 || o.window.max > 256) problems.push_back("window: must be 1..256");
  if (o.max_in_flight.max < 1 || o.max_in_flight.max > 1024) problems.push_back("max_in_flight: must be 1..1024");
  if (o.queue_records < 1) problems.push_back("queue_records: must be at least 1");
  if (o.poll_initial.count() <= 0) problems.push_back("poll_initial: must be positive");
  if (o.poll_max < o.poll_initial) problems.push_back("poll_max: must be at least poll_initial");
  if (o.discovery_interval.count() <= 0) problems.push_back("discovery_interval: must be positive");
  if (o.retry_initial.count() <= 0) problems.push_back("retry_initial: must be positive");
  if (o.retry_max < o.retry_initial) problems.push_back("retry_max: must be at least retry_initial");
  if (o.give_up_after.count() < 0) problems.push_back("give_up_after: must not be negative");
  return problems;
}

namespace {

// Smaller consume answers hold no record ({"records":[]} and the like).
constexpr std::size_t kEmptyPageBytes = 32;

// On a short link an adapted window gives a partition a few fetches in flight at most: there a
// partition's pages come back about as fast as the proxy serves them, so more fetches only queue
// at the proxy (on the Kafka backend a partition's requests take turns) and open connections:
// with few partitions the whole limit went to them. The shorter the link, the fewer: 4 under 5 ms
// of round trip, 2 under 1 ms (loopback, a machine room), each by the quickest connect. Through
// krest-netem (embedded log, 6 partitions, 500,000 records, medians of 4-6 interleaved tails)
// 4 bounded so: 1.17x at 2 ms and 1 Gbit/s, 1.11x at 2 ms, 1.04-1.06x at 0.2 ms, 1.01-1.04x at
// 100 Mbit/s; 4 partitions of 28,000 records from a fresh proxy on the Kafka backend read 1.1-1.3x
// as fast, through 18-20 connections instead of 34-66, as fast as --window 1. At 0.2 ms 2 read
// 1.07x as fast as 4 (with no bandwidth cap and at 1 Gbit/s, 5 interleaved tails each), as fast
// as the best hand-picked setting; at 2 ms 0.94-0.99x of 4, and 3 as fast as 4.
struct ShortLinkWindow {
  std::chrono::milliseconds rtt;  // links shorter than this
  std::size_t window;             // give a partition at most this many fetches at once
};
constexpr std::array<ShortLinkWindow, 2> kShortLinkWindows{
    {{std::chrono::milliseconds(1), 2}, {std::chrono::milliseconds(5), 4}}};

constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

// Where the adapted limit starts: 16 fetches on a link of 6 ms or shorter, and on a longer one as
// many times more as it is longer (53 at 20 ms, the bound of startup from 48 ms on). A tail of
// 500,000 records at 20 ms lasts some 30 round trips, and from 16 per 10 ms (32 at 20 ms) its
// startup took a fifth of them; through krest-netem, 5-6 interleaved tails each: 1.15x, 1.02x
// and 1.03x at 20 ms and 100 Mbit/s (three sets), 1.14x with no cap, 0.98x at 1 Gbit/s; 2 ms
// (16 either way) and 80 ms (the bound either way) unchanged. The producer starts narrower for
// its bodies' sake (producer.cpp).
constexpr std::size_t kInitialLimit = 16;
constexpr std::chrono::milliseconds kInitialLimitRtt{6};

// The bound of a partition's adapted window by the quickest connect so far; kUnbounded: none.
std::size_t short_link_window(const flow::InFlightLimit& limit) {
  for (const auto& w : kShortLinkWindows)
    if (limit.connect_shows_shorter_than(w.rtt)) return w.window;
  return kUnbounded;
}

std::optional<std::int64_t> next_offset_header(const http::ResponseHeader& h) {
  auto it = h.find(api::kNextOffsetHeader);
  if (it == h.end()) return std::nullopt;
  std::int64_t v = 0;
  auto text = it->value();
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

struct Consumer::Impl : std::enable_shared_from_this<Consumer::Impl> {
  struct Partition {
    Partition(asio::any_io_executor ex, std::string t, std::int32_t id, std::int64_t start, const ConsumerOptions& o)
        : topic(std::move(t)),
          partition(id),
          window(start, consume::FetchSize{o.fetch_records}.records(false), o.window.max),
          delivered(start),
          queued_upto(start),
          poll_backoff(o.poll_initial),
          wake(std::move(ex)),
          affinity(std::hash<std::string>{}(topic) + static_cast<std::size_t>(id)) {}
    std::string topic;
    std::int32_t partition;
    consume::FetchWindow window;
    std::int64_t delivered;    // handed to the application up to here
    std::int64_t queued_upto;  // put in the queue up to here
    std::size_t queued_chunks = 0;
    std::size_t fetching = 0;  // its fetches in flight
    bool wanting = false;      // it has fetches to send (not at its end, not stopped)
    bool in_room = false;      // in the waiting room for a fetch slot
    bool ended = false, stopped = false;
    milliseconds poll_backoff;
    milliseconds retry_backoff{0};
    Clock::time_point retry_at{};
    std::optional<Clock::time_point> failing_since;
    util::Signal wake;
    // Its pages go to one proxy of several while a connection to it is free: that proxy's read of
    // the partition goes on from page to page (on the Kafka backend a page at another proxy
    // restarts both fetches). A topic's partitions in turn over the proxies.
    std::size_t affinity;
  };
  struct Chunk {
    std::shared_ptr<Partition> partition;
    std::vector<ConsumedRecord> records;
    std::int64_t next_offset;
  };

  Impl(Client& c, ConsumerOptions o)
      : client_alive(impl_of(c).self.lock()),
        client(*client_alive),
        options(util::checked(std::move(o), "consumer")),
        limit(options.max_in_flight, client.options.pool.connections, 1, kInitialLimit, kInitialLimitRtt),
        changed(client.ex),
        discovery_timer(client.ex) {
    limit.watch_connecting([&pool = client.pool] { return pool.requests_stalled_connecting(flow::Clock::now()) > 0; });
    limit.watch_connect_time([&pool = client.pool] { return pool.fastest_connect(); });
    // A long link known from a connect widens the limit: from the start where the client has
    // connected already (as reading the partitions does), and otherwise with the first connect:
    // every partition may send more then (those at their share of the old limit included), on
    // connections opened for it now.
    limit.learn_link();
    learn_short_link();
    connect_watch = client.pool.watch_connects([this] {
      if (closed) return;
      learn_short_link();
      if (!limit.learn_link()) return;
      client.pool.warm(connections_wanted());
      wake_all_partitions();
    });
  }

  std::shared_ptr<Client::Impl> client_alive;  // first: the last to go, after what may use the client
  Client::Impl& client;
  ConsumerOptions options;
  flow::InFlightLimit limit;  // fetches at once over all partitions
  pool::ConnectionPool::ConnectWatch connect_watch;  // widens the limit once a connect shows a long link
  std::size_t short_link_bound = kUnbounded;         // an adapted window's short_link_window() as of the last connect
  std::size_t fetching = 0;    // fetches in flight
  consume::FetchSize fetch_size{options.fetch_records};
  std::size_t wanting = 0;     // partitions with fetches to send
  // Partitions that found the limit reached, in the order they came: a freed slot goes to the
  // first, not to whichever partition runs first (often the one whose fetch just ended).
  std::deque<std::shared_ptr<Partition>> room;
  util::Signal changed;  // records queued, a partition ended or failed
  util::Spawner fetches{client.ex};  // fetch() knows whether it still runs inside drive()
  std::map<std::pair<std::string, std::int32_t>, std::shared_ptr<Partition>> partitions;
  std::deque<Chunk> queue;
  std::size_t queued_records = 0;
  std::vector<std::vector<ConsumedRecord>> spare_records;  // recycled by the application
  std::optional<Error> failure;
  std::map<std::string, bool> subscriptions;
  bool discovering = false;
  bool closed = false;
  // A member, so that close() cancels it: an armed timer would hold io_context::run() for up to
  // discovery_interval after everything else stopped.
  asio::steady_timer discovery_timer;

  static std::int64_t start_offset(const StartAt& s, const api::PartitionMetadata& m) {
    switch (s.kind) {
      case StartAt::Kind::earliest: return m.earliest_offset;
      case StartAt::Kind::latest: return m.latest_offset;
      case StartAt::Kind::offset: return s.offset;
    }
    return 0;
  }

  void add_partition(const std::string& topic, std::int32_t id, std::int64_t start) {
    auto key = std::pair{topic, id};
    if (partitions.count(key)) return;
    auto p = std::make_shared<Partition>(client.ex, topic, id, start, options);
    partitions[key] = p;
    // Counted now and started after the caller's handler, so that partitions added together
    // (a topic's, by subscribe()) share the limit from their first fetch: co_spawn would run the
    // first one's at once, before the others are known.
    set_wanting(*p, true);
    asio::post(client.ex, [self = shared_from_this(), p] { asio::co_spawn(self->client.ex, self->drive(p), asio::detached); });
  }

  // Each fetch counts as one request in the limit whatever it asks for: counted in 500-record
  // units, as the producer counts its POSTs, startup began at a quarter of the fetches on a long
  // link and the gain of asking for more was gone (0.90-0.93x at 80 ms).
  std::int32_t fetch_records() const {
    return fetch_size.records(limit.adaptive() && limit.link_known_at_least(consume::FetchSize::kLongLinkRtt));
  }

  void leave_room(Partition& p) {
    if (!p.in_room) return;
    p.in_room = false;
    const bool first = room.front().get() == &p;
    room.erase(std::find_if(room.begin(), room.end(), [&](const auto& q) { return q.get() == &p; }));
    if (first) wake_first_in_room();
  }
  void wake_first_in_room() {
    if (!room.empty() && fetching < limit.value()) room.front()->wake.notify_all();
  }

  void set_wanting(Partition& p, bool now) {
    if (p.wanting == now) return;
    p.wanting = now;
    if (now) ++wanting;
    else --wanting;
  }
  // A partition's share of the limit: the window lets one partition have many fetches in flight,
  // but while others wait for their first, they come first. Otherwise a few partitions would hold
  // the whole limit and the rest start one after another, each paying the proxy's first read of
  // its partition alone (on the Kafka backend a new fetch session: tens of milliseconds).
  std::size_t fair_share() const {
    const std::size_t n = std::max<std::size_t>(1, wanting);
    const std::size_t share = std::max<std::size_t>(1, (limit.value() + n - 1) / n);
    return std::min(share, short_link_bound);
  }
  void learn_short_link() { short_link_bound = options.window.adaptive ? short_link_window(limit) : kUnbounded; }

  // Connections worth opening ahead: the limit's, but no more than the partitions with fetches to
  // send can use, each its window at most (on a short link, the bound there). A limit that grew
  // past what the partitions could use warmed connections nobody took: 9 partitions on a short
  // link (18 fetches at most) opened 31-63 connections for a tail of 40,000 records where a limit
  // of 18 opened 17, and through the Kafka backend it read 0.74x as fast as --window 1.
  std::size_t connections_wanted() const {
    const std::size_t window = std::min(options.window.max, short_link_bound);
    return std::min(limit.wanted_connections(), std::max<std::size_t>(1, wanting) * window);
  }

  // One partition's fetching: requests as the window and its share of the limit allow, a backoff
  // at the end of the log (following) or the partition's end (not following), a backoff after
  // failures.
  asio::awaitable<void> drive(std::shared_ptr<Partition> p) {
    auto self = shared_from_this();
    struct Wanting {
      Impl& m;
      Partition& p;
      ~Wanting() {
        m.set_wanting(p, false);
        m.leave_room(p);
      }
    } wanting_while_driving{*this, *p};
    while (!closed && !p->stopped) {
      const auto now = Clock::now();
      if (now >= p->retry_at) {
        while (queued_records < options.queue_records) {
          if (p->fetching >= fair_share()) break;  // woken when one of its fetches ends
          if (fetching >= limit.value() || (!room.empty() && room.front() != p)) {
            // The limit holds the partitions back, and is about to grow: connections for it.
            client.pool.warm(connections_wanted());
            if (!p->in_room) {
              p->in_room = true;
              room.push_back(p);
            }
            break;  // woken when its turn in the room comes
          }
          const std::int32_t records = fetch_records();
          p->window.set_count(records);
          auto start = p->window.next_request();
          if (!start) break;
          if (p->in_room) {  // its turn came: it is the first
            room.pop_front();
            p->in_room = false;
          }
          ++fetching;
          ++p->fetching;
          fetches.spawn(fetch(p, *start, records));
        }
      }
      // First in the room but not taking a slot (nothing to ask, its share reached, a backoff):
      // the next one's turn. Slots left over: the first one's turn.
      if (p->in_room && room.front() == p && fetching < limit.value()) leave_room(*p);
      else wake_first_in_room();
      if (p->window.caught_up()) {
        leave_room(*p);
        if (!options.follow) {
          // Ended once what was taken from the window has also left the queue.
          p->ended = true;
          changed.notify_all();
          co_return;
        }
        set_wanting(*p, false);
        const auto until = Clock::now() + p->poll_backoff;
        while (!closed && !p->stopped && Clock::now() < until) co_await p->wake.wait(until);
        set_wanting(*p, true);
        p->poll_backoff = std::min(p->poll_backoff * 2, options.poll_max);
        p->window.poll_again();
        continue;
      }
      co_await p->wake.wait(p->retry_at > Clock::now() ? p->retry_at : Clock::time_point::max());
    }
  }

  // One fetch's slot under the consumer-wide limit, given back however the fetch ends.
  struct FetchSlot {
    Impl& m;
    Partition& p;
    ~FetchSlot() {
      --m.fetching;
      --p.fetching;
      p.wake.notify_all();  // held back by its share, it may send again
      // The first partition held back by the limit gets the slot (only it: waking every partition
      // on every answer would cost as much as the answers once there are hundreds).
      m.wake_first_in_room();
    }
  };

  asio::awaitable<void> fetch(std::shared_ptr<Partition> p, std::int64_t start, std::int32_t records_asked) {
    auto self = shared_from_this();
    FetchSlot slot{*this, *p};
    http::Request req{bhttp::verb::get,
                      client.target("/v1/consumer/topics/" + path_segment(p->topic) + "/partitions/" +
                                    std::to_string(p->partition) + "/offsets/" + std::to_string(start) +
                                    "?count=" + std::to_string(records_asked)),
                      11};
    // The next request may go as soon as NextOffset is known, before this body is read.
    const http::HeaderCallback on_header = [&](const http::ResponseHeader& h) {
      if (h.result_int() != 200) return;
      if (auto next = next_offset_header(h)) {
        p->window.header(start, *next);
        p->wake.notify_all();
      }
    };
    http::Exchange x;
    std::optional<Error> error;
    const auto ticket = limit.sent(fetching);
    try {
      x = co_await client.send(req, on_header, p->affinity);
    } catch (const Error& e) {
      error = e;
    } catch (const std::exception& e) {
      // Anything else would vanish in the detached coroutine and stall the partition.
      error = Error(Error::Kind::protocol, e.what());
    }
    // Only a page with records is a round trip under load: an empty one at the end of the log
    // says nothing about the link.
    const bool with_records = !error && !x.ec && x.response.result_int() == 200 &&
                              x.response.body().size() > kEmptyPageBytes;
    limit.answered(ticket, x, with_records);
    // Not inside drive()'s spawn: given back there, the slot would send this partition's next
    // fetch at once, and the next (one partition read to its end before any other had its first
    // page). The answer waits for a turn of the executor instead, holding the slot meanwhile.
    co_await fetches.leave_spawner();
    if (closed || p->stopped) co_return;
    // Named only when something went wrong: a success should not pay for the text.
    const auto what = [&] {
      return "consume " + p->topic + "/" + std::to_string(p->partition) + " at " + std::to_string(start);
    };
    if (!error && !x.ec && x.response.result_int() == 200) {
      std::vector<ConsumedRecord> records;
      if (!spare_records.empty()) {
        records = std::move(spare_records.back());
        spare_records.pop_back();
      }
      auto problem = api::parse_consume_body(x.response.body(), records);
      if (!problem) fetch_size.answered(x.response.body().size(), records.size());
      client.bodies.give(std::move(x.response.body()));
      if (auto e = problem) {
        error = Error(Error::Kind::protocol, what() + ": " + *e, 200, {}, false);
      } else {
        // Without NextOffset (a proxy that does not send it) the records say how far they reach.
        auto next = next_offset_header(x.response.base());
        if (!next) next = records.empty() ? start : records.back().offset + 1;
        completed(p, start, std::move(records), *next);
        co_return;
      }
    }
    if (!error) error = client.error_of(x, what());
    failed(*p, start, std::move(*error), x.ec ? milliseconds(0) : http::retry_after(x.response));
  }

  void completed(const std::shared_ptr<Partition>& partition, std::int64_t start, std::vector<ConsumedRecord> records,
                 std::int64_t next) {
    Partition& p = *partition;
    if (!records.empty()) p.poll_backoff = options.poll_initial;
    p.retry_backoff = milliseconds(0);
    p.failing_since.reset();
    p.window.completed(start, std::move(records), next);
    // One chunk per answer, as it was parsed: merging answers would move records one by one into
    // a larger vector, which recycling then cannot reuse whole.
    while (auto ready = p.window.take_next()) {
      // A chunk without records still moves the partition's position (past offsets the proxy no
      // longer has), which a checkpoint should see.
      if (ready->empty() && p.window.position() == p.queued_upto) continue;
      p.queued_upto = p.window.position();
      queued_records += ready->size();
      ++p.queued_chunks;
      queue.push_back({partition, std::move(*ready), p.window.position()});
      changed.notify_all();
    }
    p.wake.notify_all();
  }

  void failed(Partition& p, std::int64_t start, Error e, milliseconds retry_after) {
    p.window.failed(start);
    const auto now = Clock::now();
    if (!p.failing_since) p.failing_since = now;
    const bool give_up = options.give_up_after.count() > 0 && now - *p.failing_since > options.give_up_after;
    if (e.retriable() && !give_up) {
      ClientCounters::add(client.counters.retries);
      p.retry_backoff = p.retry_backoff.count() ? std::min(p.retry_backoff * 2, options.retry_max) : options.retry_initial;
      // A proxy that says when to come back (429, 503 with Retry-After) is taken at its word.
      p.retry_at = now + std::max(p.retry_backoff, retry_after);
    } else {
      p.stopped = true;
      if (!failure) failure = std::move(e);
      changed.notify_all();
    }
    p.wake.notify_all();
  }

  // Following: partitions added to subscribed topics start from their beginning.
  asio::awaitable<void> discover() {
    auto self = shared_from_this();
    while (!closed) {
      discovery_timer.expires_after(options.discovery_interval);
      co_await discovery_timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (closed) co_return;
      for (const auto& [topic, unused] : subscriptions) {
        std::vector<api::PartitionMetadata> ps;
        try {
          ps = co_await krest::read_partitions(client, topic);
        } catch (const Error&) {
          continue;  // asked again next time
        }
        for (const auto& m : ps) add_partition(topic, m.partition_id, m.earliest_offset);
      }
    }
  }

  bool all_ended() const {
    for (const auto& [key, p] : partitions)
      if (!p->ended && !p->stopped) return false;
    return true;
  }

  static asio::awaitable<void> subscribe(std::shared_ptr<Impl> self, std::shared_ptr<const std::string> topic,
                                         StartAt start);
  static asio::awaitable<void> assign(std::shared_ptr<Impl> self, std::shared_ptr<const std::string> topic,
                                      std::int32_t partition, StartAt start);

  void wake_all_partitions() {
    for (auto& [key, p] : partitions) p->wake.notify_all();
  }
};

Consumer::Consumer(Client& client, ConsumerOptions options)
    : impl_(std::make_shared<Impl>(client, std::move(options))) {}

Consumer::~Consumer() { close(); }

// Not coroutines: the coroutines doing the work take the topic by pointer (GCC 12 moves by-value
// coroutine parameters bytewise, which breaks a short std::string).
asio::awaitable<void> Consumer::subscribe(std::string_view topic, StartAt start) {
  return impl_->subscribe(impl_, std::make_shared<const std::string>(topic), start);
}

asio::awaitable<void> Consumer::assign(std::string_view topic, std::int32_t partition, StartAt start) {
  return impl_->assign(impl_, std::make_shared<const std::string>(topic), partition, start);
}

asio::awaitable<void> Consumer::Impl::subscribe(std::shared_ptr<Impl> impl_, std::shared_ptr<const std::string> name,
                                                StartAt start) {
  const std::string& topic = *name;
  auto ps = co_await krest::read_partitions(impl_->client, topic);
  for (const auto& m : ps) impl_->add_partition(topic, m.partition_id, Impl::start_offset(start, m));
  impl_->subscriptions[topic] = true;
  if (impl_->options.follow && !impl_->discovering) {
    impl_->discovering = true;
    asio::co_spawn(impl_->client.ex, impl_->discover(), asio::detached);
  }
}

asio::awaitable<void> Consumer::Impl::assign(std::shared_ptr<Impl> impl_, std::shared_ptr<const std::string> name,
                                             std::int32_t partition, StartAt start) {
  const std::string& topic = *name;
  if (start.kind == StartAt::Kind::offset) {
    if (start.offset < 0) throw Error(Error::Kind::invalid, "start offset: must not be negative");
    impl_->add_partition(topic, partition, start.offset);
    co_return;
  }
  http::Request req{bhttp::verb::get,
                    impl_->client.target("/v1/metadata/topics/" + path_segment(topic) + "/partitions/" +
                                         std::to_string(partition)),
                    11};
  auto x = co_await impl_->client.send(req);
  const std::string what = "partition " + topic + "/" + std::to_string(partition);
  if (x.ec || x.response.result_int() != 200) throw impl_->client.error_of(x, what);
  auto parsed = api::parse_partition(x.response.body());
  if (auto* e = std::get_if<std::string>(&parsed)) throw Error(Error::Kind::protocol, what + ": " + *e);
  impl_->add_partition(topic, partition, Impl::start_offset(start, std::get<0>(parsed)));
}

asio::awaitable<std::optional<RecordBatch>> Consumer::poll(std::chrono::milliseconds wait) {
  auto& m = *impl_;
  const auto deadline = Clock::now() + wait;
  for (;;) {
    if (m.failure) {
      Error e = std::move(*m.failure);
      m.failure.reset();
      throw e;
    }
    while (!m.queue.empty()) {
      auto chunk = std::move(m.queue.front());
      m.queue.pop_front();
      auto& p = *chunk.partition;
      --p.queued_chunks;
      p.delivered = chunk.next_offset;
      m.queued_records -= chunk.records.size();
      // Room in the queue: every partition may be waiting for it, not only this chunk's.
      if (m.queued_records < m.options.queue_records) m.wake_all_partitions();
      if (chunk.records.empty()) continue;
      ClientCounters::add(m.client.counters.records_consumed, chunk.records.size());
      co_return RecordBatch{p.topic, p.partition, std::move(chunk.records), chunk.next_offset};
    }
    if (m.closed) co_return std::nullopt;
    if (!m.options.follow && m.all_ended()) co_return std::nullopt;
    if (Clock::now() >= deadline) co_return RecordBatch{};
    co_await m.changed.wait(deadline);
  }
}

void Consumer::recycle(RecordBatch&& batch) {
  // Enough for every request in flight to parse into recycled records; more would only hold memory.
  constexpr std::size_t kMaxSpare = 64;
  if (batch.records.capacity() > 0 && impl_->spare_records.size() < kMaxSpare)
    impl_->spare_records.push_back(std::move(batch.records));
}

ConsumerStats Consumer::stats() const {
  return {impl_->fetching, impl_->limit.value(), impl_->queued_records};
}

std::vector<PartitionPosition> Consumer::positions() const {
  std::vector<PartitionPosition> out;
  for (const auto& [key, p] : impl_->partitions)
    out.push_back({p->topic, p->partition, p->delivered,
                   p->queued_chunks == 0 && p->window.caught_up() && p->delivered == p->window.position()});
  return out;
}

void Consumer::close() {
  impl_->closed = true;
  impl_->discovery_timer.cancel();
  impl_->queue.clear();
  impl_->queued_records = 0;
  impl_->wake_all_partitions();
  impl_->changed.notify_all();
}

}  // namespace krest
