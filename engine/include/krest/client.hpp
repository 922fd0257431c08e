#pragma once
// A Client is one proxy endpoint: its pool of keep-alive connections, its token source and its
// metrics. Producer, Consumer and Admin are built on a Client and share them.
//
// Threading: a Client and everything built on it is used from coroutines on one executor — an
// io_context run by one thread, or a strand — and does its own work there too. The token
// source alone is thread-safe.
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "krest/concurrency.hpp"
#include "krest/metrics.hpp"
#include "krest/tls_options.hpp"
#include "krest/token_source.hpp"

namespace krest {

struct PoolOptions {
  // Keep-alive connections to the proxy. Adapted (the default): one more is opened whenever a
  // request finds every connection busy, up to the bound, so the pool follows the requests in
  // flight that the producer's and consumer's own limits allow; idle ones close after
  // idle_timeout. Pinned: at most that many, and requests beyond them wait for one.
  Concurrency connections = Concurrency::automatic(256);
  bool eager = false;  // open connections at start (pinned: all of them; adapted: 8) instead of on first need
  std::chrono::milliseconds connect_timeout{10000};  // resolve + TCP + TLS handshake
  std::chrono::milliseconds request_timeout{30000};  // send a request and read its whole response
  // A connection unused this long is closed before it would be used again (set it below the
  // proxy's or load balancer's own idle timeout, so the client is not the one to find out).
  std::chrono::milliseconds idle_timeout{50000};
  std::chrono::milliseconds reconnect_backoff_initial{100};  // after a failed connect, doubling...
  std::chrono::milliseconds reconnect_backoff_max{5000};     // ...up to this
  // An answer larger than this, as it comes or decoded, fails its request with Error::Kind::protocol,
  // not retried (asked again, the same request gets the same answer).
  std::uint64_t max_response_bytes = 64ULL << 20;
};

// Content coding of bodies (gzip, zstd; docs/ENGINE.md, "Across a network").
enum class Compression {
  // Only where it pays: a direction is compressed once its bodies are seen to cross the network
  // slower than a compressor works (under 32 MB/s per connection); request bodies only toward a
  // proxy that lists a coding in its Accept-Encoding (RFC 7694), as krest-proxy does.
  automatic,
  none,
  gzip,  // always, both ways (a 415 answer turns request bodies back to uncompressed)
  zstd,
};

struct ClientOptions {
  // https://host[:port][/prefix], the part before /v1. Several, comma-separated, are used as one
  // (proxies in front of one cluster): connections are spread over them in turn, and one that
  // refuses connections backs off while the others carry the requests. They share one path.
  std::string endpoint;
  TlsOptions tls;
  AuthOptions auth;
  PoolOptions pool;
  // A metadata read (topics, partitions, brokers) answered 429 or 503 — the proxy saying "not
  // now": its token signing keys not fetched yet, a Kafka cluster electing a leader — is asked
  // again with doubling backoff for up to this long; 0: not at all. Connection failures are
  // reported at once, and writes are the producer's to retry.
  std::chrono::milliseconds metadata_retry{15000};
  Compression compression = Compression::automatic;
};

// Every problem with the options, each naming the field; empty when they are usable.
std::vector<std::string> validate(const ClientOptions& options);

class Client {
 public:
  // Throws std::invalid_argument listing validate()'s problems, std::runtime_error when the CA
  // file cannot be read.
  Client(boost::asio::any_io_executor ex, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  boost::asio::any_io_executor executor() const;
  const ClientOptions& options() const;
  TokenSource& tokens();
  ClientMetrics metrics() const;
  // The metrics in Prometheus text format, every name prefixed with `prefix` (e.g. "krest_").
  std::string metrics_text(const std::string& prefix = "krest_") const;
  // Closes every connection and stops token refreshes. Requests in flight fail.
  void close();

  struct Impl;

 private:
  // The engine's own parts (producer, consumer, admin) and in-tree tools reach the connection
  // pool through this, declared in engine/src/client/client_impl.hpp: not part of the public API.
  friend Impl& impl_of(Client& client);
  std::shared_ptr<Impl> impl_;  // shared with what is still running on it when the Client goes
};

}  // namespace krest
