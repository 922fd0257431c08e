// The engine through faults: connections cut mid-request, 503s for a while, a server that stops
// answering, a proxy killed and restarted mid-stream. Every record must end delivered or reported
// failed, and what was delivered must be in the log; the consumer must resume at the right offset.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "krest/admin.hpp"
#include "krest/consumer.hpp"
#include "krest/producer.hpp"
#include "support/engine_harness.hpp"
#include "support/fault_relay.hpp"
#include "support/temp_dir.hpp"

using namespace krest;
using namespace krest::test;
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

struct Tally {
  std::vector<Delivery> results;
  std::size_t ok() const {
    return static_cast<std::size_t>(std::count_if(results.begin(), results.end(), [](auto& d) { return d.ok(); }));
  }
};

asio::awaitable<void> produce_n(Client& client, const std::string& topic, int n, Tally& t, ProducerOptions o = {}) {
  t.results.assign(n, Delivery{-2, -2, nullptr});
  Producer producer(client, o);
  for (int i = 0; i < n; ++i) {
    Record r;
    r.value = "record-" + std::to_string(i);
    DeliveryCallback on_delivery = [&t, i](const Delivery& d) { t.results[i] = d; };
    co_await producer.send(topic, std::move(r), on_delivery);
  }
  co_await producer.close();
}

// Every record has a result, and each delivered one is in the log at its offset, once.
void check_accounted(Client& client, EngineHarness& h, const std::string& topic, const Tally& t) {
  for (const auto& d : t.results) REQUIRE(d.partition != -2);  // a result came for every record
  auto log = h.run([&]() -> asio::awaitable<std::map<std::int64_t, std::string>> {
    Consumer c(client);
    co_await c.assign(topic, 0, StartAt::earliest());
    std::map<std::int64_t, std::string> out;
    while (auto b = co_await c.poll(milliseconds(10000)))
      for (auto& r : b->records) out[r.offset] = r.value;
    co_return out;
  }());
  for (std::size_t i = 0; i < t.results.size(); ++i) {
    if (!t.results[i].ok()) continue;
    REQUIRE(log.count(t.results[i].offset));
    CHECK(log[t.results[i].offset] == "record-" + std::to_string(i));
  }
}

// A krest-proxy behind a fault relay, and a harness to drive a client through the relay.
struct RelayedProxy {
  explicit RelayedProxy(std::vector<std::string> proxy_args = {})
      : proxy(dir / "data", std::move(proxy_args)), relay(proxy.port()) {}
  // Compression pinned off: the faults are placed by byte counts (a cut a few KB into a request,
  // an answer truncated 7,000 bytes in), and compression = auto, which may turn on through the
  // relay under a sanitizer, would change the bodies those counts fall in.
  ClientOptions options() const {
    auto o = client_options(proxy, (proxy.tls() ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(relay.port()));
    o.compression = Compression::none;
    return o;
  }
  TempDir dir;
  ProxyProcess proxy;
  FaultRelay relay;
  EngineHarness h;
};

}  // namespace

TEST_CASE("connections cut in the middle of requests are retried and every record is accounted for",
          "[integration][engine][fault]") {
  RelayedProxy f;
  Client client(f.h.ioc.get_executor(), f.options());
  f.h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("cut"); }());
  f.relay.cut_after(6000, 6);  // six connections die a few KB into their requests
  Tally t;
  ProducerOptions o;
  o.batch_records = 50;
  o.max_in_flight = 8;  // more than the 4 connections: every connection is kept busy, so each is cut
  f.h.run(produce_n(client, "cut", 2000, t, o));
  CAPTURE(f.relay.connections(), client.metrics().requests, client.metrics().retries, client.metrics().connects);
  CHECK(f.relay.injected() >= 6);
  CHECK(t.ok() == 2000);  // the cuts cost retries, not records
  CHECK(client.metrics().retries >= 1);
  CHECK(client.metrics().reconnects >= 1);
  CHECK(client.metrics().tls_resumed >= 1);  // reconnects resume the TLS session
  check_accounted(client, f.h, "cut", t);
  client.close();
  f.h.drain();
}

TEST_CASE("503s for a while are waited out with backoff", "[integration][engine][fault]") {
  RelayedProxy f({"--tls=false", "--auth", "none"});
  Client client(f.h.ioc.get_executor(), f.options());
  f.h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("busy"); }());
  f.relay.reply_503(8);
  Tally t;
  ProducerOptions o;
  o.retry_initial = milliseconds(20);
  f.h.run(produce_n(client, "busy", 300, t, o));
  CHECK(f.relay.injected() == 8);
  CHECK(t.ok() == 300);
  CHECK(client.metrics().http_errors >= 8);
  f.relay.reply_503(1000000);  // now for longer than the delivery timeout: reported, not lost
  Tally late;
  o.delivery_timeout = milliseconds(800);
  f.h.run(produce_n(client, "busy", 20, late, o));
  CHECK(late.ok() == 0);
  for (const auto& d : late.results) {
    REQUIRE(d.error);
    CHECK(d.error->status() == 503);
    CHECK(d.error->retriable());
  }
  f.relay.reply_503(0);
  check_accounted(client, f.h, "busy", t);
  client.close();
  f.h.drain();
}

TEST_CASE("metadata reads answered 503 are asked again, for up to metadata_retry", "[integration][engine][fault]") {
  RelayedProxy f({"--tls=false", "--auth", "none"});
  ClientOptions options = f.options();
  options.metadata_retry = milliseconds(10000);
  Client client(f.h.ioc.get_executor(), options);
  f.h.run([&]() -> asio::awaitable<void> {
    TopicSettings settings;
    settings.partitions = 3;
    co_await Admin(client).create_topic("later", settings);
  }());
  f.relay.reply_503(4);  // as a proxy does while its signing keys are still being fetched
  const auto partitions = f.h.run(Admin(client).describe_topic("later"));
  CHECK(partitions.size() == 3);
  CHECK(f.relay.injected() == 4);
  CHECK(client.metrics().retries == 4);

  // For longer than metadata_retry: the 503 is reported, after about that long.
  client.close();
  f.relay.reply_503(1000000);
  options.metadata_retry = milliseconds(700);
  Client impatient(f.h.ioc.get_executor(), options);
  const auto started = std::chrono::steady_clock::now();
  int status = 0;
  f.h.run([&]() -> asio::awaitable<void> {
    try {
      co_await Admin(impatient).list_topics();
    } catch (const Error& e) {
      status = e.status();
    }
  }());
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(status == 503);
  CHECK(waited >= milliseconds(300));
  CHECK(waited < milliseconds(5000));
  CHECK(impatient.metrics().retries >= 2);
  // A write is not asked again: creating a topic fails at the first 503.
  const auto before = f.relay.injected();
  f.h.run([&]() -> asio::awaitable<void> {
    try {
      co_await Admin(impatient).create_topic("refused");
    } catch (const Error& e) {
      status = e.status();
    }
  }());
  CHECK(f.relay.injected() == before + 1);
  f.relay.reply_503(0);
  impatient.close();
  f.h.drain();
}

TEST_CASE("a server that stops answering times requests out, and they are retried when it answers again",
          "[integration][engine][fault]") {
  RelayedProxy f;
  auto options = f.options();
  options.pool.request_timeout = milliseconds(500);
  Client client(f.h.ioc.get_executor(), options);
  f.h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("slow"); }());
  Tally t;
  f.h.run([&]() -> asio::awaitable<void> {
    f.relay.stall(true);
    // Unstalled after two request timeouts, from a timer on the same executor.
    asio::steady_timer later(f.h.ioc, milliseconds(1200));
    later.async_wait([&](auto) { f.relay.stall(false); });
    co_await produce_n(client, "slow", 200, t);
  }());
  CHECK(t.ok() == 200);
  CHECK(client.metrics().request_errors >= 1);
  check_accounted(client, f.h, "slow", t);
  client.close();
  f.h.drain();
}

TEST_CASE("a proxy killed and restarted in the middle of a produce stream loses no delivered record, and the "
          "consumer resumes at the right offset",
          "[integration][engine][fault]") {
  TempDir dir;
  std::optional<ProxyProcess> proxy(std::in_place, dir / "data");
  const auto port = proxy->port();
  const auto options = client_options(*proxy);
  EngineHarness h;
  Client client(h.ioc.get_executor(), options);
  h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("restart"); }());

  // A consumer that has read part of the log, to be resumed from its position afterwards.
  std::int64_t resume_at = 0;
  Tally t;
  h.run([&]() -> asio::awaitable<void> {
    t.results.assign(3000, Delivery{-2, -2, nullptr});
    ProducerOptions o;
    o.batch_records = 50;
    o.max_in_flight = 4;
    Producer producer(client, o);
    for (int i = 0; i < 3000; ++i) {
      if (i == 1500) {
        co_await producer.flush();
        Consumer c(client);
        co_await c.assign("restart", 0, StartAt::earliest());
        while (auto b = co_await c.poll(milliseconds(5000))) resume_at = b->next_offset;
        proxy->kill9();  // mid-stream: the next batches find it gone
        asio::steady_timer down(h.ioc, milliseconds(300));
        co_await down.async_wait(asio::use_awaitable);
        proxy.emplace(dir / "data", std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port)});
      }
      Record r;
      r.value = "record-" + std::to_string(i);
      DeliveryCallback on_delivery = [&t, i](const Delivery& d) { t.results[i] = d; };
      co_await producer.send("restart", std::move(r), on_delivery);
    }
    co_await producer.close();
  }());
  CHECK(resume_at == 1500);
  CHECK(t.ok() == 3000);  // the restart took retries, not records
  check_accounted(client, h, "restart", t);

  // Resumed from the saved position: exactly the rest, no repeat.
  auto rest = h.run([&]() -> asio::awaitable<std::vector<std::int64_t>> {
    Consumer c(client);
    co_await c.assign("restart", 0, StartAt::at(resume_at));
    std::vector<std::int64_t> offsets;
    while (auto b = co_await c.poll(milliseconds(10000)))
      for (auto& r : b->records) offsets.push_back(r.offset);
    co_return offsets;
  }());
  REQUIRE_FALSE(rest.empty());
  CHECK(rest.front() == 1500);
  for (std::size_t i = 1; i < rest.size(); ++i) CHECK(rest[i] == rest[i - 1] + 1);
  client.close();
  h.drain();
}

namespace {

// Every offset of `topic` partition 0 from the start, read through `client` with a window of 4.
std::vector<std::int64_t> read_offsets(Client& client, EngineHarness& h, const std::string& topic) {
  return h.run([&]() -> asio::awaitable<std::vector<std::int64_t>> {
    ConsumerOptions co;
    co.fetch_records = 100;
    co.window = 4;
    Consumer c(client, co);
    co_await c.assign(topic, 0, StartAt::earliest());
    std::vector<std::int64_t> offsets;
    while (auto b = co_await c.poll(milliseconds(10000)))
      for (auto& r : b->records) offsets.push_back(r.offset);
    co_return offsets;
  }());
}

void check_each_once_in_order(const std::vector<std::int64_t>& offsets, std::int64_t count) {
  REQUIRE(offsets.size() == static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) REQUIRE(offsets[static_cast<std::size_t>(i)] == i);
}

}  // namespace

TEST_CASE("responses cut short by a clean close are retried: every record reported, duplicates only from the "
          "cut batches, and the consumer sees each offset once",
          "[integration][engine][fault]") {
  RelayedProxy f;
  Client client(f.h.ioc.get_executor(), f.options());
  f.h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("truncated"); }());
  // Past the TLS handshake, into the responses: the proxy wrote the batch, its answer is lost.
  f.relay.truncate_responses(7000, 5);
  Tally t;
  ProducerOptions o;
  o.batch_records = 50;
  f.h.run(produce_n(client, "truncated", 2000, t, o));
  const auto truncations = f.relay.injected();
  CHECK(truncations >= 1);
  CHECK(t.ok() == 2000);
  CHECK(client.metrics().request_errors >= truncations);
  check_accounted(client, f.h, "truncated", t);
  // At least once: a batch whose answer was lost is written again, so the log holds at most one
  // extra copy of each cut batch.
  const auto offsets = read_offsets(client, f.h, "truncated");
  CHECK(offsets.size() >= 2000);
  CHECK(offsets.size() <= 2000 + truncations * 50);

  // Consuming through truncated answers: each offset once, in order.
  const auto log_size = static_cast<std::int64_t>(offsets.size());
  f.relay.truncate_responses(9000, 5);
  f.relay.reset_all();  // the faults apply to new connections
  const auto before = f.relay.injected();
  check_each_once_in_order(read_offsets(client, f.h, "truncated"), log_size);
  CHECK(f.relay.injected() > before);
  client.close();
  f.h.drain();
}

TEST_CASE("a long link (60 ms each way on every byte) costs no timeouts and no retries",
          "[integration][engine][fault]") {
  RelayedProxy f;
  auto options = f.options();
  options.pool.request_timeout = milliseconds(1500);
  options.pool.connect_timeout = milliseconds(2000);
  Client client(f.h.ioc.get_executor(), options);
  f.relay.delay(milliseconds(60));
  f.h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("far"); }());
  Tally t;
  ProducerOptions o;
  o.batch_records = 100;
  o.ordered = true;
  f.h.run(produce_n(client, "far", 3000, t, o));
  CHECK(t.ok() == 3000);
  for (std::size_t i = 1; i < t.results.size(); ++i) REQUIRE(t.results[i].offset == t.results[i - 1].offset + 1);
  check_each_once_in_order(read_offsets(client, f.h, "far"), 3000);
  CHECK(client.metrics().request_errors == 0);
  CHECK(client.metrics().retries == 0);
  client.close();
  f.h.drain();
}

TEST_CASE("a server trickling its answers a few bytes at a time is timed out by the whole exchange's deadline",
          "[integration][engine][fault]") {
  RelayedProxy f({"--tls=false", "--auth", "none"});
  auto options = f.options();
  options.pool.request_timeout = milliseconds(500);
  Client client(f.h.ioc.get_executor(), options);
  f.h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("trickle"); }());
  // 8 bytes every 40 ms: every read gets something well within the timeout, but an answer takes
  // seconds. A timeout that restarted on each read would wait it out; the exchange's must not.
  f.relay.trickle_responses(8, milliseconds(40));
  Tally t;
  ProducerOptions o;
  o.retry_initial = milliseconds(50);
  const auto started = std::chrono::steady_clock::now();
  f.h.run([&]() -> asio::awaitable<void> {
    asio::steady_timer later(f.h.ioc, milliseconds(2000));
    later.async_wait([&](auto) { f.relay.trickle_responses(0, milliseconds(0)); });
    co_await produce_n(client, "trickle", 200, t, o);
  }());
  CHECK(t.ok() == 200);
  CHECK(client.metrics().request_errors >= 2);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(8));
  check_accounted(client, f.h, "trickle", t);
  client.close();
  f.h.drain();
}
