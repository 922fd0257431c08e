// KafkaProducer against librdkafka's mock cluster (a child process on 127.0.0.1): the topic
// handles it keeps stay within their bound while produces to many topics go on, and a topic whose
// handle went is produced to again as before; records handed over by partition come back with
// their positions, and a refused one with its error, in the request body's order.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "api/produce_body.hpp"
#include "storage/kafka/kafka_producer.hpp"
#include "support/kafka_mock.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using krest::proxy::KafkaOptions;
using krest::proxy::KafkaProducer;
using krest::proxy::KafkaStats;

namespace {

krest::api::ProduceBody body_of(int records) {
  std::string text = R"({"records":[)";
  for (int i = 0; i < records; ++i) text += (i ? "," : "") + std::string(R"({"value":"v)") + std::to_string(i) + "\"}";
  text += "]}";
  krest::api::ProduceBody body;
  REQUIRE_FALSE(krest::api::parse_produce_body(text, 1000, body));
  return body;
}

// Produces `records` records to partition 0 of `topic`; their offsets.
std::vector<std::int64_t> produce(asio::io_context& io, KafkaProducer& producer, const std::string& topic,
                                  int records) {
  const auto body = body_of(records);
  std::vector<krest::api::RecordPosition> positions(static_cast<std::size_t>(records));
  auto done = asio::co_spawn(io, producer.produce(topic, body, positions), asio::use_future);
  REQUIRE(done.wait_for(15s) == std::future_status::ready);
  done.get();
  std::vector<std::int64_t> offsets;
  for (const auto& p : positions) offsets.push_back(p.offset);
  return offsets;
}

// An io_context run on a thread of its own while the test lasts: the producer's reports resume
// its coroutines there. Declared before the producer, so the producer goes first.
struct Running {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  ~Running() {
    work.reset();
    thread.join();
  }
};

KafkaOptions options_for(const krest::test::KafkaMock& mock) {
  KafkaOptions o;
  o.bootstrap_servers = mock.bootstrap();
  o.request_timeout = 10000ms;
  return o;
}

}  // namespace

TEST_CASE("the Kafka producer keeps at most its bound of topic handles and produces again to a topic whose handle went",
          "[integration][kafka]") {
  krest::test::KafkaMock mock(1);
  for (const char* t : {"h0", "h1", "h2", "h3"}) mock.create_topic(t, 1);
  KafkaOptions o = options_for(mock);
  o.topic_handles = 2;
  KafkaStats stats;
  Running running;
  auto& io = running.io;
  {
    KafkaProducer producer(o, stats);
    CHECK(produce(io, producer, "h0", 3) == std::vector<std::int64_t>{0, 1, 2});
    CHECK(produce(io, producer, "h1", 2) == std::vector<std::int64_t>{0, 1});
    CHECK(producer.topic_handles() == 2);
    // h0 is the least recently used: h2 takes its place.
    CHECK(produce(io, producer, "h2", 1) == std::vector<std::int64_t>{0});
    CHECK(producer.topic_handles() == 2);
    // h0 again, from a handle made anew: its offsets go on where they were.
    CHECK(produce(io, producer, "h0", 2) == std::vector<std::int64_t>{3, 4});
    CHECK(produce(io, producer, "h3", 1) == std::vector<std::int64_t>{0});
    CHECK(producer.topic_handles() == 2);
    // h1 went before h0 (used longer ago) and comes back the same.
    CHECK(produce(io, producer, "h1", 1) == std::vector<std::int64_t>{2});
    CHECK(produce(io, producer, "h0", 1) == std::vector<std::int64_t>{5});
    CHECK(producer.topic_handles() == 2);
  }
}

TEST_CASE(
    "records for several partitions keep each partition's order through a librdkafka buffer smaller than the request",
    "[integration][kafka]") {
  krest::test::KafkaMock mock(1);
  mock.create_topic("spread", 3);
  KafkaOptions o = options_for(mock);
  // 50 records at most in librdkafka's buffer: a request of 1000 is handed over in many goes, each
  // waiting for the buffer to drain (QUEUE_FULL), from the first record it did not take.
  o.properties = {"queue.buffering.max.messages=50"};
  KafkaStats stats;
  Running running;
  auto& io = running.io;
  {
    KafkaProducer producer(o, stats);
    std::int64_t next[3] = {0, 0, 0};  // each partition's next offset
    for (int round = 0; round < 2; ++round) {
      constexpr int kRecords = 1000;
      const auto body = body_of(kRecords);
      std::vector<krest::api::RecordPosition> positions(kRecords);
      // Partitions interleaved as the proxy's partitioner spreads keys: 2, 0, 1, 1, 2, 0, ...
      for (int i = 0; i < kRecords; ++i) positions[static_cast<std::size_t>(i)].partition = (i * 7 + 2) % 3;
      // The topic spelled as a literal: produce() keeps its own copy while it runs.
      auto done = asio::co_spawn(io, producer.produce("spread", body, positions), asio::use_future);
      REQUIRE(done.wait_for(15s) == std::future_status::ready);
      done.get();
      // Each partition's records got consecutive offsets in the body's order, after the last round's.
      for (int i = 0; i < kRecords; ++i) {
        const auto& pos = positions[static_cast<std::size_t>(i)];
        REQUIRE(pos.partition == (i * 7 + 2) % 3);
        REQUIRE(pos.offset == next[pos.partition]++);
      }
    }
  }
}

TEST_CASE("a record the cluster refuses is named by its place in the request body", "[integration][kafka]") {
  krest::test::KafkaMock mock(1);
  mock.create_topic("three", 3);
  const KafkaOptions o = options_for(mock);
  KafkaStats stats;
  Running running;
  auto& io = running.io;
  {
    KafkaProducer producer(o, stats);
    // Handed over by partition, the record for partition 9 (which the topic does not have) goes
    // last, though it is the body's second: the error names it as the body does.
    const auto body = body_of(4);
    std::vector<krest::api::RecordPosition> positions(4);
    const std::int32_t partitions[] = {1, 9, 0, 1};
    for (std::size_t i = 0; i < 4; ++i) positions[i].partition = partitions[i];
    auto done = asio::co_spawn(io, producer.produce("three", body, positions), asio::use_future);
    REQUIRE(done.wait_for(15s) == std::future_status::ready);
    CHECK_THROWS_WITH(done.get(), Catch::Contains("records[1] to 'three' partition 9"));
    // The others were stored where they were placed.
    CHECK(positions[0].partition == 1);
    CHECK(positions[2].partition == 0);
    CHECK(positions[3].partition == 1);
    CHECK(positions[0].offset == 0);
    CHECK(positions[2].offset == 0);
    CHECK(positions[3].offset == 1);
  }
}
