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

}  // namespace

TEST_CASE("connections cut in the middle of requests are retried and every record is accounted for",
          "[integration][engine][fault]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  FaultRelay relay(proxy.port());
  EngineHarness h;
  Client client(h.ioc.get_executor(), client_options(proxy, "https://127.0.0.1:" + std::to_string(relay.port())));
  h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("cut"); }());
  relay.cut_after(6000, 6);  // six connections die a few KB into their requests
  Tally t;
  ProducerOptions o;
  o.batch_records = 50;
  h.run(produce_n(client, "cut", 2000, t, o));
  CHECK(relay.injected() >= 6);
  CHECK(t.ok() == 2000);  // the cuts cost retries, not records
  CHECK(client.metrics().retries >= 1);
  CHECK(client.metrics().reconnects >= 1);
  CHECK(client.metrics().tls_resumed >= 1);  // reconnects resume the TLS session
  check_accounted(client, h, "cut", t);
  client.close();
  h.drain();
}

TEST_CASE("503s for a while are waited out with backoff", "[integration][engine][fault]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data", {"--tls", "false", "--auth", "none"});
  FaultRelay relay(proxy.port());
  EngineHarness h;
  Client client(h.ioc.get_executor(), client_options(proxy, "http://127.0.0.1:" + std::to_string(relay.port())));
  h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("busy"); }());
  relay.reply_503(8);
  Tally t;
  ProducerOptions o;
  o.retry_initial = milliseconds(20);
  h.run(produce_n(client, "busy", 300, t, o));
  CHECK(relay.injected() == 8);
  CHECK(t.ok() == 300);
  CHECK(client.metrics().http_errors >= 8);
  relay.reply_503(1000000);  // now for longer than the delivery timeout: reported, not lost
  Tally late;
  o.delivery_timeout = milliseconds(800);
  h.run(produce_n(client, "busy", 20, late, o));
  CHECK(late.ok() == 0);
  for (const auto& d : late.results) {
    REQUIRE(d.error);
    CHECK(d.error->status() == 503);
    CHECK(d.error->retriable());
  }
  relay.reply_503(0);
  check_accounted(client, h, "busy", t);
  client.close();
  h.drain();
}

TEST_CASE("a server that stops answering times requests out, and they are retried when it answers again",
          "[integration][engine][fault]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  FaultRelay relay(proxy.port());
  EngineHarness h;
  auto options = client_options(proxy, "https://127.0.0.1:" + std::to_string(relay.port()));
  options.pool.request_timeout = milliseconds(500);
  Client client(h.ioc.get_executor(), options);
  h.run([&]() -> asio::awaitable<void> { co_await Admin(client).create_topic("slow"); }());
  Tally t;
  h.run([&]() -> asio::awaitable<void> {
    relay.stall(true);
    // Unstalled after two request timeouts, from a timer on the same executor.
    asio::steady_timer later(h.ioc, milliseconds(1200));
    later.async_wait([&](auto) { relay.stall(false); });
    co_await produce_n(client, "slow", 200, t);
  }());
  CHECK(t.ok() == 200);
  CHECK(client.metrics().request_errors >= 1);
  check_accounted(client, h, "slow", t);
  client.close();
  h.drain();
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
