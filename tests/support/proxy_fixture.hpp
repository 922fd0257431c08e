#pragma once
// A krest-proxy process on a fresh data directory plus a TLS client connected to it.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <optional>

#include "support/https_client.hpp"
#include "support/proxy_process.hpp"
#include "support/temp_dir.hpp"

namespace krest::test {

struct ProxyFixture {
  explicit ProxyFixture(std::vector<std::string> args = {}) : proxy(dir / "data", std::move(args)) {
    client.emplace(connect());
  }
  // A new connection carrying the test application's token when the proxy requires one.
  HttpsClient connect() const { return proxy.client(); }

  TempDir dir;
  ProxyProcess proxy;
  std::optional<HttpsClient> client;
};

inline boost::json::value json_of(const Reply& r) { return boost::json::parse(r.body()); }

}  // namespace krest::test
