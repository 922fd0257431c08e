// The engine from plain threads, without coroutines: krest::sync runs the client on a thread of its
// own and every call blocks until its result or its timeout. Four threads produce at once, then
// one reads everything back. Built with the project and run by the tests against a real
// krest-proxy. Configuration from the environment, as docs/examples/quickstart.cpp.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "krest/sync.hpp"

namespace {

std::string env(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
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
    krest::sync::Client client(options);  // its own I/O thread, until it is destroyed
    krest::sync::Admin admin(client);
    try {
      admin.create_topic("blocking");
    } catch (const krest::Error& e) {
      if (e.status() != 409) throw;  // it exists: fine
    }

    // One producer shared by four threads; results arrive on the client's thread.
    std::atomic<int> delivered{0};
    {
      krest::sync::Producer producer(client);
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
          for (int i = 0; i < 250; ++i)
            producer.send("blocking", krest::Record{"thread-" + std::to_string(t), std::to_string(i)},
                          [&](const krest::Delivery& d) { delivered += d.ok(); });
        });
      for (auto& th : threads) th.join();
      if (!producer.close(30s)) {
        std::fprintf(stderr, "blocking: not every record had its result in 30 s\n");
        return 1;
      }
    }
    std::printf("produced %d records\n", delivered.load());

    krest::sync::Consumer consumer(client);
    consumer.subscribe("blocking");
    std::size_t records = 0;
    while (auto batch = consumer.poll(5s)) records += batch->records.size();
    std::printf("consumed %zu records\n", records);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "blocking: %s\n", e.what());
    return 1;
  }
}
