#pragma once
// What a Client has done so far: plain numbers an application can print, log or export.
#include <cstdint>
#include <utility>
#include <vector>

namespace krest {

struct LatencySummary {
  std::uint64_t count = 0;
  double sum_seconds = 0;
  // (upper bound in seconds, observations in that bucket); the last bound is +infinity.
  std::vector<std::pair<double, std::uint64_t>> buckets;

  // An upper estimate of the q-quantile (0 < q <= 1): the bound of the bucket it falls in.
  double quantile(double q) const;
};

struct ClientMetrics {
  std::uint64_t requests = 0;          // HTTP requests sent (including retries)
  std::uint64_t request_errors = 0;    // requests that got no response (connection failure, timeout)
  std::uint64_t http_errors = 0;       // responses with a 4xx or 5xx status
  std::uint64_t retries = 0;           // requests sent again by the producer or consumer
  std::uint64_t connects = 0;          // connections established
  std::uint64_t reconnects = 0;        // of which replaced an earlier connection
  std::uint64_t tls_resumed = 0;       // of which resumed a TLS session (no full handshake)
  std::uint64_t name_lookups = 0;      // of the proxy's host name: one serves its connections for 60 s
  std::uint64_t bytes_sent = 0;        // request bodies, as sent (compressed or not)
  std::uint64_t bytes_received = 0;    // response bodies, as received
  std::uint64_t bytes_sent_plain = 0;      // request bodies before compression
  std::uint64_t bytes_received_plain = 0;  // response bodies after decompression
  std::uint64_t compressed_requests = 0;
  std::uint64_t compressed_responses = 0;
  std::uint64_t records_produced = 0;  // acknowledged by the proxy
  std::uint64_t records_failed = 0;    // reported failed to the application
  std::uint64_t records_consumed = 0;  // handed to the application
  std::uint64_t token_refreshes = 0;   // tokens obtained from the authority
  std::uint64_t token_failures = 0;    // token requests that failed
  LatencySummary request_latency;      // from sending a request to having its whole response
};

}  // namespace krest
