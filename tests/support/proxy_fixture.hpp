#pragma once
// A krest-proxy process on a fresh data directory plus a TLS client connected to it. With
// KREST_TEST_BACKEND=kafka the proxy runs in front of a mock Kafka cluster instead of the
// embedded log, so the same tests check both backends.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>

#include "support/https_client.hpp"
#include "support/kafka_mock.hpp"
#include "support/proxy_process.hpp"
#include "support/temp_dir.hpp"

namespace krest::test {

struct ProxyFixture {
  explicit ProxyFixture(std::vector<std::string> args = {})
      : kafka(backend_under_test() == "kafka" ? std::make_unique<KafkaMock>(3) : nullptr),
        proxy(dir / "data", with_backend(std::move(args))) {
    client.emplace(connect());
  }
  // A new connection carrying the test application's token when the proxy requires one.
  HttpsClient connect() const { return proxy.client(); }
  bool on_kafka() const { return kafka != nullptr; }

  TempDir dir;
  std::unique_ptr<KafkaMock> kafka;
  ProxyProcess proxy;
  std::optional<HttpsClient> client;

 private:
  std::vector<std::string> with_backend(std::vector<std::string> args) const {
    if (kafka)
      args.insert(args.end(), {"--backend", "kafka", "--kafka-bootstrap-servers", kafka->bootstrap(),
                               "--kafka-metadata-refresh-ms", "500", "--kafka-properties",
                               "message.max.bytes=10000000"});
    return args;
  }
};

inline boost::json::value json_of(const Reply& r) { return boost::json::parse(r.body()); }

}  // namespace krest::test
