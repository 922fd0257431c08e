// krest::sync, the blocking front end, against a real krest-proxy: calls from several threads,
// timeouts that throw and leave the work going, and a callback that calls back refused instead of
// deadlocking.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "krest/sync.hpp"
#include "relay.hpp"
#include "support/engine_harness.hpp"
#include "support/temp_dir.hpp"

using namespace krest;
using namespace krest::test;
using std::chrono::milliseconds;

TEST_CASE("sync: threads share a producer and an admin, and a consumer reads it all back", "[integration][sync]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  sync::Client client(client_options(proxy));
  sync::Admin admin(client);
  TopicSettings two;
  two.partitions = 2;
  admin.create_topic("s", two);
  CHECK(admin.describe("s").partitions.size() == 2);
  std::atomic<int> delivered{0};
  {
    sync::Producer producer(client);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 300; ++i)
          producer.send("s", Record{std::to_string(t), std::to_string(i)}, [&](const Delivery& d) { delivered += d.ok(); });
      });
    for (auto& th : threads) th.join();
    CHECK(producer.flush(milliseconds(30000)));
    const Delivery one = producer.produce("s", Record{"k", "last"});
    CHECK(one.ok());
    CHECK(one.offset >= 0);
    CHECK(producer.close(milliseconds(30000)));
    CHECK(producer.last_error() == nullptr);
  }
  CHECK(delivered == 900);
  sync::Consumer consumer(client);
  consumer.subscribe("s");
  std::size_t records = 0;
  while (auto batch = consumer.poll(milliseconds(5000))) records += batch->records.size();
  CHECK(records == 901);
  CHECK(consumer.positions().size() == 2);
  consumer.close();
  CHECK_THROWS_AS(admin.create_topic("s"), Error);  // 409, as an Error
  CHECK(client.metrics().requests > 0);
}

TEST_CASE("sync: a call past its timeout throws Error timeout and the work goes on", "[integration][sync]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  {
    sync::Client direct(client_options(proxy));
    sync::Admin(direct).create_topic("slow");
  }
  // Two seconds each way: every answer comes long after the timeouts below.
  netem::RelaySettings far;
  far.upstream_port = proxy.port();
  far.up.delay = far.down.delay = milliseconds(2000);
  netem::Relay relay(far);
  sync::Client client(client_options(proxy, "https://localhost:" + std::to_string(relay.port())));
  sync::Producer producer(client);
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)producer.produce("slow", Record{"k", "v"}, milliseconds(300));
    FAIL("produce returned before its answer could come");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::timeout);
    CHECK_THAT(e.what(), Catch::Contains("no result within 300 ms"));
  }
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(2000));
  CHECK_FALSE(producer.flush(milliseconds(200)));  // the record is still on its way
  CHECK(producer.flush(milliseconds(30000)));      // and then it is stored
}

TEST_CASE("sync: a delivery callback that calls back into krest::sync is refused, not deadlocked",
          "[integration][sync]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data");
  sync::Client client(client_options(proxy));
  sync::Admin(client).create_topic("cb");
  sync::Producer producer(client);
  std::atomic<bool> refused{false};
  producer.send("cb", Record{"k", "v"}, [&](const Delivery&) {
    try {
      (void)producer.flush(milliseconds(1000));
    } catch (const Error& e) {
      refused = e.kind() == Error::Kind::invalid;
    }
  });
  CHECK(producer.flush(milliseconds(30000)));
  CHECK(refused);
}
