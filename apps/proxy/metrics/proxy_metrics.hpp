#pragma once
// What /metrics exposes: requests by route and status, latency by route, records and bytes in and
// out, connections. Every update is a relaxed atomic add.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "metrics/histogram.hpp"
#include "routes/router.hpp"

namespace krest::proxy {

class BodyBudget;

class ProxyMetrics {
 public:
  void record_request(Route route, unsigned status, double seconds);
  void add_records_in(std::uint64_t records, std::uint64_t bytes);
  void add_records_out(std::uint64_t records, std::uint64_t bytes);
  void connection_opened();
  void connection_closed();
  void connection_rejected();
  void body_memory_refused();
  void consume_memory_refused();
  void set_tls_expiry(std::int64_t unix_seconds) { tls_expires_at_.store(unix_seconds, std::memory_order_relaxed); }
  // The server's body budget, shown as gauges (set before serving, cleared when the server goes).
  void show_body_budget(const BodyBudget* budget) { body_budget_ = budget; }
  std::int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }

  std::string render() const;

 private:
  const BodyBudget* body_budget_ = nullptr;
  static constexpr std::array<unsigned, 15> kStatuses = {200, 400, 401, 403, 404, 405, 409, 413,
                                                         429, 431, 500, 503, 507, 100, 0 /* other */};
  static std::size_t status_index(unsigned status);

  std::array<std::array<std::atomic<std::uint64_t>, kStatuses.size()>, kRouteCount> requests_{};
  std::array<metrics::LatencyHistogram, kRouteCount> latency_{};
  std::atomic<std::uint64_t> records_in_{0}, bytes_in_{0}, records_out_{0}, bytes_out_{0};
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::int64_t> tls_expires_at_{0};  // 0: no certificate (plain HTTP) or unreadable
  std::atomic<std::uint64_t> connections_total_{0}, connections_rejected_{0}, body_memory_refused_{0},
      consume_memory_refused_{0};
};

}  // namespace krest::proxy
