// The engine across an emulated network (tools/netem: a real TCP relay with delay and bandwidth)
// to a real krest-proxy: its defaults adapt to the link, request bodies are compressed where it
// pays and answers when asked, with nothing lost or doubled on the way.
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "client/client_impl.hpp"
#include "krest/admin.hpp"
#include "krest/consumer.hpp"
#include "krest/producer.hpp"
#include "relay.hpp"
#include "support/engine_harness.hpp"
#include "support/temp_dir.hpp"

using namespace krest;
using namespace krest::test;
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

netem::RelaySettings link(unsigned short upstream, milliseconds rtt, double bytes_per_second = 0) {
  netem::RelaySettings s;
  s.upstream_port = upstream;
  s.up.delay = s.down.delay = rtt / 2;
  s.up.bytes_per_second = s.down.bytes_per_second = bytes_per_second;
  s.tcp_handshake = true;  // a connect takes two round trips, as across a real link
  return s;
}

// The test's options with the engine's own defaults for what the harness pins (its pool).
ClientOptions defaults(const ProxyProcess& proxy, unsigned short port) {
  ClientOptions o = client_options(proxy, "https://localhost:" + std::to_string(port));
  o.pool = PoolOptions{};
  return o;
}

std::string event(int i) {
  return R"({"id":)" + std::to_string(i) + R"(,"user":"user-)" + std::to_string(i % 1000) +
         R"(","action":"view","amount":)" + std::to_string(i * 7 % 10000) + "}";
}

struct Produced {
  std::size_t delivered = 0, failed = 0;
  std::size_t most_in_flight = 0, limit = 0;
};

asio::awaitable<Produced> produce_events(Client& client, const std::string& topic, int n, ProducerOptions o = {}) {
  Produced out;
  o.on_delivery = [&out](const Delivery& d) { ++(d.ok() ? out.delivered : out.failed); };
  Producer producer(client, o);
  for (int i = 0; i < n; ++i) {
    Record r;
    r.key = std::to_string(i);
    r.value = event(i);
    r.value_json = true;
    if (!producer.try_send(topic, r)) co_await producer.send(topic, std::move(r));
    out.most_in_flight = std::max(out.most_in_flight, producer.stats().requests_in_flight);
  }
  out.limit = producer.stats().in_flight_limit;
  co_await producer.close();
  co_return out;
}

struct Consumed {
  std::map<std::int32_t, std::vector<std::int64_t>> offsets;
  std::set<std::string> values;
  std::size_t records = 0, most_in_flight = 0;
};

asio::awaitable<Consumed> consume_all(Client& client, const std::string& topic, ConsumerOptions o = {}) {
  Consumed out;
  Consumer consumer(client, o);
  co_await consumer.subscribe(topic);
  while (auto batch = co_await consumer.poll(milliseconds(10000))) {
    out.most_in_flight = std::max(out.most_in_flight, consumer.stats().requests_in_flight);
    for (auto& r : batch->records) {
      out.offsets[batch->partition].push_back(r.offset);
      out.values.insert(r.value);
      ++out.records;
    }
  }
  co_return out;
}

// Every partition's offsets 0..n-1 once, in order.
void check_each_once(const Consumed& c, std::size_t total) {
  std::size_t sum = 0;
  for (const auto& [partition, offsets] : c.offsets) {
    for (std::size_t i = 0; i < offsets.size(); ++i) REQUIRE(offsets[i] == static_cast<std::int64_t>(i));
    sum += offsets.size();
  }
  CHECK(sum == total);
  CHECK(c.values.size() == total);
}

// What reading `topic` to its end fails with (empty: nothing), which must be a protocol error
// given at once, not a failure retried until the harness's deadline.
std::string consume_failure(EngineHarness& h, Client& client, const std::string& topic) {
  try {
    h.run(consume_all(client, topic), std::chrono::seconds(60));
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::protocol);
    CHECK_FALSE(e.retriable());
    return e.what();
  }
  return {};
}

}  // namespace

// 80 ms so that the link, not the proxy, is what holds the sender back in every build: under
// ThreadSanitizer the proxy stored POSTs of 2000 records so slowly that 8 in flight across 40 ms
// queue there (in 2 of 4 runs, and in CI), which doubles the round trip and rightly ends startup
// at 8 in flight; across 80 ms 16 or more went out in 10 runs of 10.
TEST_CASE("across 80 ms of round trip the engine's defaults grow past the old fixed eight in flight",
          "[integration][engine][network]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  netem::Relay relay(link(proxy.port(), milliseconds(80)));
  EngineHarness h;
  Client client(h.ioc.get_executor(), defaults(proxy, relay.port()));
  h.run([&]() -> asio::awaitable<void> {
    TopicSettings s;
    s.partitions = 6;
    co_await Admin(client).create_topic("far", s);
  }());
  {
    // That connect showed the link long (two round trips: 160 ms or more): startup begins with
    // the 16 fetches meant for a link of 10 ms or less times as many more as it is longer (8x,
    // up to startup's most), before any answer.
    const Consumer fresh(client);
    CHECK(fresh.stats().in_flight_limit >= 64);
  }
  constexpr int kRecords = 150000;
  const auto before = client.metrics();
  const auto produced = h.run(produce_events(client, "far", kRecords));
  const auto produce_requests = client.metrics().requests - before.requests;
  const auto compressed = client.metrics().compressed_requests - before.compressed_requests;
  CHECK(produced.delivered == kRecords);
  CHECK(produced.failed == 0);
  CAPTURE(produced.most_in_flight, produced.limit, produce_requests, compressed);
  CHECK(produced.most_in_flight > 8);    // the producer's old fixed max_in_flight
  CHECK(client.metrics().connects > 8);  // ...and the pool's old fixed size
  CHECK(client.metrics().name_lookups == 1);  // however many opened together
  // Once a connect shows the link long, POSTs carry up to 1000 records: 150 here (the topic's
  // creation connected first), 300 at 500 records each; at most the first 8 (the producer's
  // start on a link not known long) may go before.
  CHECK(produce_requests <= kRecords / 1000 + 16);
  CHECK(produce_requests >= kRecords / 1000);  // and no more than 1000: 2000 (before) made 75
  // Compressed from the first body, before any was timed, for the same reason.
  CHECK(compressed == produce_requests);
  // A number pins it.
  h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("far-pinned"); }());
  ProducerOptions pinned;
  pinned.batch_records = 500;
  const auto pinned_before = client.metrics().requests;
  CHECK(h.run(produce_events(client, "far-pinned", 30000, pinned)).delivered == 30000);
  CHECK(client.metrics().requests - pinned_before >= 60);

  const auto consume_before = client.metrics().requests;
  const auto consumed = h.run(consume_all(client, "far"));
  const auto consume_requests = client.metrics().requests - consume_before;
  CAPTURE(consumed.most_in_flight, consume_requests);
  CHECK(consumed.most_in_flight > 8);  // eight connections held the old window of 4 per partition
  check_each_once(consumed, kRecords);
  // Fetches of 2000 records on such a link: 75 with records, and those that find each partition's
  // end or ask ahead past it (about 120 in all); fetches of 500 would need 300 with records alone.
  CHECK(consume_requests < kRecords / 500);
  // A number pins it.
  ConsumerOptions pinned_fetch;
  pinned_fetch.fetch_records = 500;
  const auto pinned_consume_before = client.metrics().requests;
  check_each_once(h.run(consume_all(client, "far-pinned", pinned_fetch)), 30000);
  CHECK(client.metrics().requests - pinned_consume_before >= 60);
  client.close();
  h.drain();
}

TEST_CASE("the engine compresses both ways with krest-proxy, gzip or zstd as asked", "[integration][engine][network]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  for (auto coding : {Compression::gzip, Compression::zstd}) {
    EngineHarness h;
    ClientOptions o = client_options(proxy);
    o.compression = coding;
    Client client(h.ioc.get_executor(), o);
    const std::string topic = coding == Compression::gzip ? "gz" : "zs";
    h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic(topic); }());
    const auto produced = h.run(produce_events(client, topic, 20000));
    CHECK(produced.delivered == 20000);
    const auto consumed = h.run(consume_all(client, topic));
    check_each_once(consumed, 20000);
    const auto m = client.metrics();
    CHECK(m.compressed_requests > 0);
    CHECK(m.compressed_responses > 0);
    CHECK(m.bytes_sent * 3 < m.bytes_sent_plain);
    CHECK(m.bytes_received * 3 < m.bytes_received_plain);
    client.close();
    h.drain();
  }
}

TEST_CASE("compression set to auto compresses request bodies across a slow link and not on loopback",
          "[integration][engine][network]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  // 8 Mbit/s. Auto compresses only with CPU to spare, and across a real link the client's CPUs
  // are idle while the link is full; here proxy, relay and client share the test machine, which a
  // sanitizer build keeps near the 40 % idle threshold. So the slow-link client is told its CPUs
  // are idle (the CPU half of the decision has its unit tests in compression_policy_test.cpp), and
  // this test holds the link half: request bodies that cross slowly turn compression on, and on
  // loopback, measured for real, it stays off. Fetches' answers are asked for compressed on both.
  netem::Relay slow(link(proxy.port(), milliseconds(10), 1e6));
  // 30,000 events loaded into `topic` and read back, and what the client counted: after the load
  // (`loaded`) and in all.
  struct Counted {
    ClientMetrics loaded, all;
  };
  const auto load_and_read = [&](bool across_slow_link, const std::string& topic) {
    EngineHarness h;
    ClientOptions o = across_slow_link ? defaults(proxy, slow.port()) : client_options(proxy);
    Client client(h.ioc.get_executor(), o);
    if (across_slow_link) impl_of(client).assumed_idle_share = 0.9;
    h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic(topic); }());
    CHECK(h.run(produce_events(client, topic, 30000)).delivered == 30000);
    Counted counted;
    counted.loaded = client.metrics();
    check_each_once(h.run(consume_all(client, topic)), 30000);
    counted.all = client.metrics();
    client.close();
    h.drain();
    return counted;
  };
  // On loopback a load may, rarely, meet bodies that look slow with the machine spare and its
  // own thread under half busy (the proxy stalled on its disk, say: docs/ENGINE.md), and compress;
  // CI's AddressSanitizer build saw one such load in about thirty runs before the thread counted.
  // A second load must not: compressing on loopback as a rule fails here.
  auto local = load_and_read(false, "local");
  if (local.all.compressed_requests > 0) {
    WARN("a load on loopback compressed " << local.all.compressed_requests << " request bodies: once more");
    local = load_and_read(false, "local-again");
  }
  CHECK(local.all.compressed_requests == 0);
  // The produce answers (an offset per record) are asked for as the bodies go: plain here, where
  // compressing them would cost both ends CPU for a link that is not short of bytes. The fetches'
  // answers are asked for compressed all the same.
  CHECK(local.loaded.compressed_responses == 0);
  CHECK(local.all.compressed_responses > 0);
  const auto across = load_and_read(true, "slow");
  // Of about 60 produce requests, those sent before the first were timed go as they are.
  CHECK(across.all.compressed_requests >= 20);
  // Their answers come compressed with them.
  CHECK(across.loaded.compressed_responses > 0);
  CHECK(across.all.compressed_responses > across.loaded.compressed_responses);
  CHECK(across.all.bytes_received * 2 < across.all.bytes_received_plain);
}

TEST_CASE("a proxy that takes no compressed bodies gets each batch again as it is, once",
          "[integration][engine][network]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data", {"--compression", "none"});
  EngineHarness h;
  ClientOptions o = client_options(proxy);
  o.compression = Compression::zstd;  // forced: sent compressed before the proxy has said anything
  Client client(h.ioc.get_executor(), o);
  h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("plain"); }());
  const auto produced = h.run(produce_events(client, "plain", 20000));
  CHECK(produced.delivered == 20000);
  CHECK(produced.failed == 0);
  const auto m = client.metrics();
  CHECK(m.compressed_requests >= 1);                            // the first ones went compressed and got 415
  CHECK(m.compressed_requests <= 4);                            // then no more (at most those already on the way)
  CHECK(m.http_errors == m.compressed_requests);                // each 415, and nothing else
  check_each_once(h.run(consume_all(client, "plain")), 20000);  // none lost, none twice
  client.close();
  h.drain();
}

TEST_CASE("a compressed answer that decodes past max_response_bytes is refused", "[integration][engine][network]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  EngineHarness h;
  ClientOptions o = client_options(proxy);
  o.compression = Compression::zstd;
  // 500 records are ~40 KB decoded, ~3 KB compressed (more with the timestamps of a slow run: at
  // 4096 a sanitizer build's answer once came larger than the limit on the wire).
  o.pool.max_response_bytes = 16384;
  Client client(h.ioc.get_executor(), o);
  h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("bomb"); }());
  ProducerOptions small;
  small.batch_records = 20;  // produce answers stay under the limit
  CHECK(h.run(produce_events(client, "bomb", 500, small)).delivered == 500);
  CHECK_THAT(consume_failure(h, client, "bomb"),
             Catch::Contains("decodes to more than pool.max_response_bytes = 16384"));
  client.close();
  h.drain();

  // An answer over the limit as it comes (not compressed): an error too, at once, not a transport
  // failure retried for ever (a consumer's give_up_after is forever by default).
  EngineHarness h2;
  ClientOptions plain = client_options(proxy);
  plain.compression = Compression::none;
  plain.pool.max_response_bytes = 4096;
  Client plain_client(h2.ioc.get_executor(), plain);
  CHECK_THAT(consume_failure(h2, plain_client, "bomb"), Catch::Contains("larger than pool.max_response_bytes"));
  plain_client.close();
  h2.drain();
}
