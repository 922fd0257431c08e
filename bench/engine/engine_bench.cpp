// The engine's side of the benchmarks: produce or consume through krest-proxy for a fixed time
// and print what it achieved, for bench/run_engine_bench.sh to set beside wrk.
//
//   engine_bench produce URL CA_FILE TOPIC SECONDS CONNECTIONS
//   engine_bench consume URL CA_FILE TOPIC SECONDS CONNECTIONS WINDOW RECORDS_IN_PARTITION
//   engine_bench replay  URL CA_FILE TOPIC SECONDS CONNECTIONS BODY_FILE      (the pool alone: POST a pre-built body)
//   engine_bench fetch   URL CA_FILE TOPIC SECONDS CONNECTIONS WINDOWS        (the pool alone: GET random windows)
//
// Output, one line: "records=N requests=N seconds=S records_per_s=R requests_per_s=Q".
// KREST_BENCH_ENGINE_THREADS (default 1): engine instances side by side, one thread each.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/http/field.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/client_impl.hpp"
#include "krest/client.hpp"
#include "krest/consumer.hpp"
#include "krest/producer.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

struct Outcome {
  std::uint64_t records = 0;
  double seconds = 0;
};

krest::ClientOptions options(const std::string& url, const std::string& ca, std::size_t connections) {
  krest::ClientOptions o;
  o.endpoint = url;
  o.tls.ca_file = ca;
  o.pool.connections = connections;
  o.pool.eager = true;
  return o;
}

// 100-byte string values in batches of 500: the body wrk replays.
asio::awaitable<Outcome> produce(krest::Client& client, std::string topic, double seconds, std::size_t in_flight) {
  krest::ProducerOptions po;
  po.batch_records = 500;
  po.batch_bytes = 4 << 20;
  po.max_in_flight = in_flight;
  po.linger = std::chrono::milliseconds(2);
  Outcome out;
  std::uint64_t failed = 0;
  po.on_delivery = [&](const krest::Delivery& d) { d.ok() ? ++out.records : ++failed; };
  krest::Producer producer(client, po);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  // One record reused: try_send copies it into the batch, so only the sequence digits change.
  // They are counted up in a register and stored as one 8-byte word: a division per digit, or
  // byte stores that the escaper's 8-byte loads then cannot forward from, would be the bench's
  // own cost, which wrk replaying one body does not pay.
  krest::Record r;
  r.value = "r000000-" + std::string(92, 'v');
  std::uint64_t head;
  std::memcpy(&head, r.value.data(), sizeof head);
  const auto next_sequence = [&] {
    for (unsigned d = 6; d >= 1; --d) {  // little-endian: byte d holds digit d of "r000000-"
      const unsigned shift = 8 * d;
      if (((head >> shift) & 0xff) != '9') {
        head += std::uint64_t{1} << shift;
        break;
      }
      head -= std::uint64_t{9} << shift;
    }
    std::memcpy(r.value.data(), &head, sizeof head);
  };
  while (Clock::now() < end) {
    for (int j = 0; j < 500; ++j) {
      next_sequence();
      if (!producer.try_send(topic, r)) {
        krest::Record copy = r;
        co_await producer.send(topic, std::move(copy));
      }
    }
  }
  co_await producer.close();
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) std::fprintf(stderr, "engine_bench: %llu records failed\n", static_cast<unsigned long long>(failed));
  co_return out;
}

// Reads partition 0 from the start, again and again, for `seconds`.
asio::awaitable<Outcome> consume(krest::Client& client, std::string topic, double seconds, std::size_t window,
                                 std::int64_t records_in_partition) {
  krest::ConsumerOptions co;
  co.fetch_records = 500;
  co.window = window;
  co.queue_records = 500 * (window + 8);
  Outcome out;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    krest::Consumer consumer(client, co);
    co_await consumer.assign(topic, 0, krest::StartAt::at(0));
    std::int64_t seen = 0;
    while (Clock::now() < end && seen < records_in_partition) {
      auto batch = co_await consumer.poll(std::chrono::seconds(10));
      if (!batch) break;
      seen += static_cast<std::int64_t>(batch->records.size());
      consumer.recycle(std::move(*batch));  // as krest tail does once a batch is written
    }
    consumer.close();
    out.records += static_cast<std::uint64_t>(seen);
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  co_return out;
}

// The transport alone, as wrk measures it: `connections` loops, each sending a request and
// reading its response on a pooled connection, no JSON built or parsed. `make` gives each request.
template <class MakeRequest>
asio::awaitable<Outcome> transport(krest::Client& client, double seconds, std::size_t connections,
                                   std::uint64_t records_per_request, MakeRequest make) {
  Outcome out;
  std::uint64_t failed = 0;
  std::size_t running = connections;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer all_done(ex, Clock::time_point::max());
  for (std::size_t i = 0; i < connections; ++i)
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          while (Clock::now() < end) {
            krest::http::Request req = make();
            auto x = co_await impl_of(client).send(req);
            if (x.ec || x.response.result_int() != 200)
              ++failed;
            else
              out.records += records_per_request;
            // Bodies back to the client's pool, as the producer and consumer return theirs.
            impl_of(client).bodies.give(std::move(req.body()));
            impl_of(client).bodies.give(std::move(x.response.body()));
          }
          if (--running == 0) all_done.cancel();
        },
        asio::detached);
  co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) std::fprintf(stderr, "engine_bench: %llu requests failed\n", static_cast<unsigned long long>(failed));
  co_return out;
}

struct Args {
  std::string mode, url, ca, topic;
  double seconds = 0;
  std::size_t connections = 0;
  char** extra = nullptr;  // mode-specific arguments
  int extra_count = 0;
};

struct RunResult {
  Outcome outcome;
  std::uint64_t requests = 0;
  std::string error;
};

// One engine instance: its own io_context on the calling thread, its own Client.
RunResult run_one(const Args& a) {
  RunResult result;
  try {
    asio::io_context ioc(1);
    krest::Client client(ioc.get_executor(), options(a.url, a.ca, a.connections));
    bool done = false;
    std::exception_ptr failure;
    auto finish = [&](std::exception_ptr e, Outcome o) {
      failure = e;
      result.outcome = o;
      done = true;
      client.close();
    };
    if (a.mode == "produce") {
      asio::co_spawn(ioc, produce(client, a.topic, a.seconds, a.connections), finish);
    } else if (a.mode == "replay" && a.extra_count >= 1) {
      std::ifstream in(a.extra[0], std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      const std::string body = text.str(), target = "/v1/producer/topics/" + a.topic;
      // By value: the coroutines run after this block has ended.
      auto make = [body, target, &client] {
        krest::http::Request req{boost::beast::http::verb::post, target, 11};
        req.set(boost::beast::http::field::content_type, "application/json");
        req.body() = impl_of(client).bodies.take(body.size());
        req.body().assign(body);
        return req;
      };
      asio::co_spawn(ioc, transport(client, a.seconds, a.connections, 500, make), finish);
    } else if (a.mode == "fetch" && a.extra_count >= 1) {
      const long windows = std::atol(a.extra[0]);
      const std::string prefix = "/v1/consumer/topics/" + a.topic + "/partitions/0/offsets/";
      auto make = [prefix, windows, rng = std::minstd_rand(std::random_device{}())]() mutable {
        return krest::http::Request{boost::beast::http::verb::get,
                                    prefix + std::to_string((rng() % static_cast<unsigned long>(windows)) * 500) +
                                        "?count=500",
                                    11};
      };
      asio::co_spawn(ioc, transport(client, a.seconds, a.connections, 500, make), finish);
    } else if (a.mode == "consume" && a.extra_count >= 2) {
      asio::co_spawn(ioc,
                     consume(client, a.topic, a.seconds, static_cast<std::size_t>(std::atoi(a.extra[0])),
                             std::atoll(a.extra[1])),
                     finish);
    } else {
      result.error = "unknown mode or missing arguments";
      return result;
    }
    while (!done) ioc.run_one();
    ioc.run_for(std::chrono::milliseconds(100));
    if (failure) std::rethrow_exception(failure);
    result.requests = client.metrics().requests;
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace

// KREST_BENCH_ENGINE_THREADS=N runs N engine instances side by side, each with its own thread,
// io_context and Client holding CONNECTIONS/N connections (an application scales out the same
// way); the figures are their sums.
int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: engine_bench produce URL CA_FILE TOPIC SECONDS CONNECTIONS\n"
                 "       engine_bench consume URL CA_FILE TOPIC SECONDS CONNECTIONS WINDOW RECORDS_IN_PARTITION\n"
                 "       engine_bench replay  URL CA_FILE TOPIC SECONDS CONNECTIONS BODY_FILE\n"
                 "       engine_bench fetch   URL CA_FILE TOPIC SECONDS CONNECTIONS WINDOWS\n");
    return 2;
  }
  const char* threads_env = std::getenv("KREST_BENCH_ENGINE_THREADS");
  const std::size_t threads = threads_env ? static_cast<std::size_t>(std::max(1, std::atoi(threads_env))) : 1;
  Args a{argv[1], argv[2], argv[3], argv[4], std::atof(argv[5]), 0, argv + 7, argc - 7};
  a.connections = std::max<std::size_t>(1, static_cast<std::size_t>(std::atoi(argv[6])) / threads);
  std::vector<RunResult> results(threads);
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < threads; ++i) workers.emplace_back([&, i] { results[i] = run_one(a); });
  for (auto& w : workers) w.join();
  double records_per_s = 0, requests_per_s = 0, seconds = 0;
  std::uint64_t records = 0, requests = 0;
  for (const auto& r : results) {
    if (!r.error.empty()) {
      std::fprintf(stderr, "engine_bench: %s\n", r.error.c_str());
      return 1;
    }
    records += r.outcome.records;
    requests += r.requests;
    seconds = std::max(seconds, r.outcome.seconds);
    records_per_s += static_cast<double>(r.outcome.records) / r.outcome.seconds;
    requests_per_s += static_cast<double>(r.requests) / r.outcome.seconds;
  }
  std::printf("records=%llu requests=%llu seconds=%.3f records_per_s=%.0f requests_per_s=%.0f\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(requests), seconds,
              records_per_s, requests_per_s);
  return 0;
}
