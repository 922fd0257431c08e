#pragma once
// What Producer, Consumer and Admin share behind a Client: the pool, the token source, the
// counters, and one way to send a request and turn its failure into a krest::Error.
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/metadata_body.hpp"
#include "flow/compression_policy.hpp"
#include "util/machine_load.hpp"
#include "http/http_connection.hpp"
#include "krest/client.hpp"
#include "krest/error.hpp"
#include "metrics/histogram.hpp"
#include "net/base_url.hpp"
#include "pool/connection_pool.hpp"

namespace krest {

struct ClientCounters {
  std::atomic<std::uint64_t> requests{0}, request_errors{0}, http_errors{0}, retries{0}, bytes_sent{0},
      bytes_received{0}, bytes_sent_plain{0}, bytes_received_plain{0}, compressed_requests{0},
      compressed_responses{0}, records_produced{0}, records_failed{0}, records_consumed{0};
  metrics::LatencyHistogram latency;

  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

struct Client::Impl {
  Impl(boost::asio::any_io_executor ex, ClientOptions o);

  // One API request on a pooled connection with the current token (one resend after a 401),
  // its body compressed and its answer decoded as the compression policy says (one resend,
  // uncompressed, after a 415). Transport failures come back in Exchange::ec; throws
  // Error(token) when no token can be had, Error(closed) after close(), and Error(protocol) for an
  // answer that cannot be decoded (or decodes to more than max_response_bytes).
  // `affinity`: requests with the same one go to the same endpoint while a connection to it is
  // free (a partition's pages, to the proxy already reading that partition).
  boost::asio::awaitable<http::Exchange> send(http::Request& req, const http::HeaderCallback& on_header,
                                              std::optional<std::size_t> affinity);
  boost::asio::awaitable<http::Exchange> send(http::Request& req, const http::HeaderCallback& on_header) {
    return send(req, on_header, std::nullopt);
  }
  // (An overload, not a default argument: a temporary std::function in a co_await expression is
  // what GCC 12 gets wrong.)
  boost::asio::awaitable<http::Exchange> send(http::Request& req) { return send(req, no_header_callback); }
  static const http::HeaderCallback no_header_callback;
  // send() for a metadata read: a 429 or 503 is asked again for up to options.metadata_retry.
  boost::asio::awaitable<http::Exchange> read_metadata(http::Request& req);

  // exchange_error() for this client's proxy.
  Error error_of(const http::Exchange& x, std::string_view what) const;

  // The request target for an API path such as "/v1/metadata/topics".
  std::string target(std::string_view api_path) const { return base.path + std::string(api_path); }

  // Itself, for what must keep the parts alive past the Client that owns them: its consumers and
  // producers, the connections opening in the background, an admin call. A Client destroyed while
  // they wait (close() cancels the waits; their handlers run when the io_context next does) lets
  // go of its parts, and the last of them to end destroys them.
  std::weak_ptr<Impl> self;
  boost::asio::any_io_executor ex;
  ClientOptions options;
  std::vector<net::BaseUrl> endpoints;  // the proxies used as one (ClientOptions::endpoint's list)
  net::BaseUrl base;                    // the first: its path is every endpoint's
  boost::asio::ssl::context tls;
  TokenSource tokens;
  http::BodyPool bodies;  // request and response bodies for reuse (before the pool: it lends them)
  pool::ConnectionPool pool;
  flow::CompressionPolicy compression;
  util::MachineLoad machine_load;  // read for compression = automatic only
  // Tests only: the idle share compression = automatic sees instead of /proc/stat's, so that a
  // test of the link's part of the decision does not depend on how busy the test machine is.
  std::optional<double> assumed_idle_share;
  ClientCounters counters;

 private:
  boost::asio::awaitable<http::Exchange> exchange_once(pool::ConnectionPool::Lease& lease, http::Request& req,
                                                       const http::HeaderCallback& on_header);
  // Decodes a compressed answer in place; throws Error(protocol) when it cannot.
  void decode_response(http::Exchange& x);
};

// The Error for an exchange with `server` that failed: no response (transport or timeout,
// retriable), or an error status (retriable per retriable_status). `what` names the operation,
// e.g. "produce to t"; the message says what most likely happened and what to do (a TLS port
// dialled as http://, an untrusted certificate, an HTML page where the API should be).
Error exchange_error(const http::Exchange& x, std::string_view what, const net::BaseUrl& server);

// The client's internals, for the engine's own parts and in-tree tools (krest bench, the engine
// bench); a friend of Client, defined in client.cpp.
Client::Impl& impl_of(Client& client);

// Every partition of `topic` (GET /v1/metadata/topics/{topic}/partitions). Throws Error.
boost::asio::awaitable<std::vector<api::PartitionMetadata>> read_partitions(Client::Impl& client,
                                                                            const std::string& topic);

// A path segment percent-encoded (topic names are [a-zA-Z0-9._-] anyway; this keeps a bad one from
// changing the path).
std::string path_segment(std::string_view s);

}  // namespace krest
