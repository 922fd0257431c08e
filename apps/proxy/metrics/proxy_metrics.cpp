#include "metrics/proxy_metrics.hpp"

#include "metrics/prometheus.hpp"
#include "admission/body_budget.hpp"

namespace krest::proxy {
namespace m = krest::metrics;

std::size_t ProxyMetrics::status_index(unsigned status) {
  for (std::size_t i = 0; i + 1 < kStatuses.size(); ++i)
    if (kStatuses[i] == status) return i;
  return kStatuses.size() - 1;
}

void ProxyMetrics::record_request(Route route, unsigned status, double seconds) {
  auto r = static_cast<std::size_t>(route);
  requests_[r][status_index(status)].fetch_add(1, std::memory_order_relaxed);
  latency_[r].observe(seconds);
}

void ProxyMetrics::add_records_in(std::uint64_t records, std::uint64_t bytes) {
  records_in_.fetch_add(records, std::memory_order_relaxed);
  bytes_in_.fetch_add(bytes, std::memory_order_relaxed);
}

void ProxyMetrics::add_records_out(std::uint64_t records, std::uint64_t bytes) {
  records_out_.fetch_add(records, std::memory_order_relaxed);
  bytes_out_.fetch_add(bytes, std::memory_order_relaxed);
}

void ProxyMetrics::connection_opened() {
  open_connections_.fetch_add(1, std::memory_order_relaxed);
  connections_total_.fetch_add(1, std::memory_order_relaxed);
}
void ProxyMetrics::connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
void ProxyMetrics::connection_rejected() { connections_rejected_.fetch_add(1, std::memory_order_relaxed); }
void ProxyMetrics::body_memory_refused() { body_memory_refused_.fetch_add(1, std::memory_order_relaxed); }
void ProxyMetrics::consume_memory_refused() { consume_memory_refused_.fetch_add(1, std::memory_order_relaxed); }

std::string ProxyMetrics::render() const {
  std::string out;
  out.reserve(16 * 1024);
  m::append_family(out, "krest_proxy_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    for (std::size_t s = 0; s < kStatuses.size(); ++s) {
      auto n = requests_[r][s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      std::string labels = std::string("route=\"") + route_name(static_cast<Route>(r)) + "\",status=\"" +
                           (kStatuses[s] ? std::to_string(kStatuses[s]) : std::string("other")) + "\"";
      m::append_sample(out, "krest_proxy_requests_total", labels, static_cast<double>(n));
    }
  }
  m::append_family(out, "krest_proxy_request_duration_seconds", "histogram",
                   "Time from a request's complete header to its response being handed to the socket.");
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    auto snap = latency_[r].snapshot();
    if (snap.count == 0) continue;
    m::append_histogram(out, "krest_proxy_request_duration_seconds",
                        std::string("route=\"") + route_name(static_cast<Route>(r)) + "\"", snap);
  }
  auto counter = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
    m::append_counter(out, name, help, static_cast<double>(v.load(std::memory_order_relaxed)));
  };
  counter("krest_proxy_records_in_total", "Records accepted by produce requests.", records_in_);
  counter("krest_proxy_record_bytes_in_total", "Key and value bytes accepted by produce requests.", bytes_in_);
  counter("krest_proxy_records_out_total", "Records returned by consume requests.", records_out_);
  counter("krest_proxy_record_bytes_out_total", "Key and value bytes returned by consume requests.", bytes_out_);
  counter("krest_proxy_connections_total", "Connections accepted.", connections_total_);
  counter("krest_proxy_connections_rejected_total", "Connections closed at once because max_connections was reached.",
          connections_rejected_);
  counter("krest_proxy_body_memory_refused_total",
          "Requests refused (503) because their body would pass max_body_memory_bytes: from their header, or a "
          "compressed one as it would decode past the room left.",
          body_memory_refused_);
  counter("krest_proxy_consume_memory_refused_total",
          "Consume requests refused (503) because max_body_memory_bytes left no room for a page.",
          consume_memory_refused_);
  m::append_gauge(out, "krest_proxy_open_connections", "Connections open now.",
                  static_cast<double>(open_connections_.load(std::memory_order_relaxed)));
  if (body_budget_) {
    m::append_gauge(out, "krest_proxy_body_memory_bytes", "Memory counted for request bodies (twice each) and answers not yet written, over all connections.",
                    static_cast<double>(body_budget_->in_use()));
    m::append_gauge(out, "krest_proxy_body_memory_limit_bytes",
                    "The bound on request body bytes in memory (max_body_memory_bytes, or its default).",
                    static_cast<double>(body_budget_->limit()));
  }
  if (const auto expires = tls_expires_at_.load(std::memory_order_relaxed); expires != 0)
    m::append_gauge(out, "krest_proxy_tls_certificate_expiry_timestamp_seconds",
                    "When the certificate new connections are served with expires (notAfter), seconds since the epoch.",
                    static_cast<double>(expires));
  return out;
}

}  // namespace krest::proxy
