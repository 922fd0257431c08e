// Produce, consume and administer topics with the krest engine: the program docs/ENGINE.md walks
// through. It is built with the project and run by the tests against a real krest-proxy.
//
// Configuration from the environment (the secret never on the command line):
//   KREST_ENDPOINT        https://CLUSTER-kafkarest.azurehdinsight.net (or a krest-proxy)
//   KREST_CA_FILE         PEM file to trust instead of the system's store (optional)
//   KREST_TENANT, KREST_CLIENT_ID, KREST_CLIENT_SECRET   the application's credentials
//   KREST_AUTHORITY       token authority (default: https://login.microsoftonline.com/{tenant})
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "krest/admin.hpp"
#include "krest/client.hpp"
#include "krest/consumer.hpp"
#include "krest/producer.hpp"

namespace asio = boost::asio;

namespace {

std::string env(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

asio::awaitable<void> quickstart(krest::Client& client) {
  // Admin: create a topic with three partitions (409 if it exists, which is fine here).
  krest::Admin admin(client);
  krest::TopicSettings settings;
  settings.partitions = 3;
  try {
    co_await admin.create_topic("quickstart", settings);
  } catch (const krest::Error& e) {
    if (e.status() != 409) throw;
  }

  // Produce: send() queues a record and returns; the callback reports where it was stored.
  krest::Producer producer(client);
  int delivered = 0;
  krest::DeliveryCallback report = [&](const krest::Delivery& d) {
    if (d.ok())
      ++delivered;
    else
      std::fprintf(stderr, "not delivered: %s\n", d.error->what());
  };
  for (int i = 0; i < 10; ++i) {
    krest::Record record;
    record.key = "sensor-" + std::to_string(i % 3);
    record.value = "{\"reading\":" + std::to_string(i) + "}";
    record.value_json = true;  // JSON text, sent as it is (the key stays a plain string)
    co_await producer.send("quickstart", std::move(record), report);
  }
  co_await producer.close();  // waits until every record has its result
  std::printf("produced %d records\n", delivered);

  // Consume: every partition from the beginning, in offset order, until caught up.
  krest::Consumer consumer(client);
  co_await consumer.subscribe("quickstart", krest::StartAt::earliest());
  while (auto batch = co_await consumer.poll(std::chrono::seconds(5)))
    for (const auto& r : batch->records)
      std::printf("%s/%d@%lld %s = %s\n", batch->topic.c_str(), batch->partition, static_cast<long long>(r.offset),
                  r.key.value_or("-").c_str(), r.value.c_str());

  // Metadata: where each partition stands now.
  for (const auto& p : co_await admin.describe_topic("quickstart"))
    std::printf("partition %d: offsets %lld..%lld\n", p.partition, static_cast<long long>(p.earliest_offset),
                static_cast<long long>(p.latest_offset));
}

}  // namespace

int main() {
  krest::ClientOptions options;
  options.endpoint = env("KREST_ENDPOINT");
  options.tls.ca_file = env("KREST_CA_FILE");
  options.auth.mode = krest::AuthOptions::Mode::client_credentials;
  options.auth.tenant = env("KREST_TENANT");
  options.auth.client_id = env("KREST_CLIENT_ID");
  options.auth.client_secret = env("KREST_CLIENT_SECRET");
  options.auth.authority = env("KREST_AUTHORITY", options.auth.authority);
  options.auth.tls = options.tls;
  try {
    asio::io_context ioc(1);
    krest::Client client(ioc.get_executor(), options);  // throws, naming every invalid option
    std::exception_ptr failure;
    bool done = false;
    asio::co_spawn(ioc, quickstart(client), [&](std::exception_ptr e) {
      failure = e;
      done = true;
      client.close();
    });
    while (!done) ioc.run_one();
    if (failure) std::rethrow_exception(failure);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quickstart: %s\n", e.what());
    return 1;
  }
}
