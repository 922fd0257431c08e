#include "krest/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "api/error_body.hpp"
#include "client/client_impl.hpp"
#include "util/checked_options.hpp"
#include "http/authorized_exchange.hpp"
#include "metrics/prometheus.hpp"
#include "net/client_tls.hpp"

namespace krest {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

std::vector<std::string> validate(const ClientOptions& o) {
  std::vector<std::string> problems;
  if (o.endpoint.empty()) {
    problems.push_back("endpoint: empty; give the proxy's base URL, e.g. https://CLUSTER-kafkarest.azurehdinsight.net");
  } else {
    try {
      net::parse_endpoints(o.endpoint);
    } catch (const std::invalid_argument& e) {
      problems.push_back(std::string("endpoint: ") + e.what());
    }
  }
  const auto& p = o.pool;
  if (p.connections.max < 1 || p.connections.max > 1024) problems.push_back("pool.connections: must be 1..1024");
  auto positive = [&](std::chrono::milliseconds v, const char* name) {
    if (v.count() <= 0) problems.push_back(std::string("pool.") + name + ": must be positive");
  };
  positive(p.connect_timeout, "connect_timeout");
  positive(p.request_timeout, "request_timeout");
  positive(p.idle_timeout, "idle_timeout");
  positive(p.reconnect_backoff_initial, "reconnect_backoff_initial");
  if (p.reconnect_backoff_max < p.reconnect_backoff_initial)
    problems.push_back("pool.reconnect_backoff_max: must be at least reconnect_backoff_initial");
  if (p.max_response_bytes < 1024) problems.push_back("pool.max_response_bytes: must be at least 1024");
  if (o.metadata_retry.count() < 0) problems.push_back("metadata_retry: must not be negative");
  for (auto& a : validate(o.auth)) problems.push_back("auth." + a);
  return problems;
}

Client::Impl::Impl(asio::any_io_executor executor, ClientOptions o)
    : ex(std::move(executor)),
      options(util::checked(std::move(o), "client")),
      endpoints(net::parse_endpoints(options.endpoint)),
      base(endpoints.front()),
      tls(net::make_client_tls(options.tls)),
      tokens(ex, options.auth),
      pool(ex, endpoints, tls, options.pool, bodies),
      compression(options.compression) {
  // The baseline of the CPUs' idle share: its first value then comes as the first bodies cross.
  if (options.compression == Compression::automatic) machine_load.idle_share(std::chrono::steady_clock::now());
}

const http::HeaderCallback Client::Impl::no_header_callback;

namespace {

// The "body" metric of a Server-Timing value ("body;dur=12.5, app;dur=3"), in seconds.
std::optional<double> server_timing_body(std::string_view value) {
  const auto at = value.find("body;dur=");
  if (at == std::string_view::npos || (at > 0 && value[at - 1] != ' ' && value[at - 1] != ',')) return std::nullopt;
  const auto number = value.substr(at + 9);
  double ms = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), ms);
  if (ec != std::errc{} || ms < 0) return std::nullopt;
  return ms / 1000;
}

}  // namespace

asio::awaitable<http::Exchange> Client::Impl::send(http::Request& req, const http::HeaderCallback& on_header,
                                                   std::optional<std::size_t> affinity) {
  auto lease = co_await pool.acquire(affinity);
  const auto now = std::chrono::steady_clock::now();

  // A compressed body goes out in the caller's place, and the caller gets its own back after.
  const std::size_t plain_bytes = req.body().size();
  std::string plain;
  // Only auto reads it, and pool.fastest_connect() walks every connection.
  if (options.compression == Compression::automatic) compression.fastest_connect(pool.fastest_connect());
  auto sent_coding = compression.request_coding(plain_bytes, now);
  if (sent_coding != coding::Coding::identity) {
    std::string packed = bodies.take(plain_bytes / 2);
    coding::encode(sent_coding, req.body(), 1, packed);
    if (packed.size() < plain_bytes) {
      plain = std::move(req.body());
      req.body() = std::move(packed);
      req.set(bhttp::field::content_encoding, coding::name(sent_coding));
    } else {
      bodies.give(std::move(packed));
      sent_coding = coding::Coding::identity;
    }
  }
  if (auto accept = compression.accept_encoding(now, plain_bytes, sent_coding); accept.empty())
    req.erase(bhttp::field::accept_encoding);
  else
    req.set(bhttp::field::accept_encoding, accept);
  http::Exchange x = co_await exchange_once(lease, req, on_header);
  const std::size_t wire_bytes = req.body().size();
  if (sent_coding != coding::Coding::identity) {
    bodies.give(std::move(req.body()));
    req.body() = std::move(plain);
    req.erase(bhttp::field::content_encoding);
    ClientCounters::add(counters.compressed_requests);
    if (!x.ec && x.response.result_int() == 415) {
      // The proxy takes no compressed bodies (RFC 7694): this one again as it is, and no more.
      compression.refused();
      bodies.give(std::move(x.response.body()));
      x = co_await exchange_once(lease, req, on_header);
      sent_coding = coding::Coding::identity;
    }
  }
  ClientCounters::add(counters.bytes_sent, sent_coding == coding::Coding::identity ? plain_bytes : wire_bytes);
  ClientCounters::add(counters.bytes_sent_plain, plain_bytes);
  if (x.ec) co_return x;

  flow::CompressionPolicy::Answer seen;
  if (auto it = x.response.find(bhttp::field::accept_encoding); it != x.response.end())
    seen.server_accepts = coding::parse_accept_encoding(it->value());
  seen.request_coding = sent_coding;
  seen.request_plain = plain_bytes;
  seen.request_wire = sent_coding == coding::Coding::identity ? plain_bytes : wire_bytes;
  if (auto it = x.response.find("Server-Timing"); it != x.response.end())
    seen.request_transfer_seconds = server_timing_body(it->value());
  seen.response_wire = x.response.body().size();
  if (auto it = x.response.find(bhttp::field::content_encoding); it != x.response.end())
    seen.response_coding = coding::parse_coding(it->value()).value_or(coding::Coding::identity);
  decode_response(x);
  seen.response_plain = x.response.body().size();
  const auto done = std::chrono::steady_clock::now();
  compression.observe(seen, done);
  if (options.compression == Compression::automatic)
    if (auto idle = assumed_idle_share ? assumed_idle_share : machine_load.idle_share(done)) {
      compression.machine_idle(*idle);
      // This thread would compress: how busy it has been since its last reading.
      if (auto busy = util::thread_busy_share(done)) compression.client_thread_busy(*busy);
    }
  ClientCounters::add(counters.bytes_received, seen.response_wire);
  ClientCounters::add(counters.bytes_received_plain, seen.response_plain);
  co_return x;
}

asio::awaitable<http::Exchange> Client::Impl::exchange_once(pool::ConnectionPool::Lease& lease, http::Request& req,
                                                            const http::HeaderCallback& on_header) {
  const auto started = std::chrono::steady_clock::now();
  http::Exchange x;
  std::optional<TokenError> token_failure;
  try {
    x = co_await http::authorized_exchange(lease.connection(), tokens, req, on_header);
  } catch (const TokenError& e) {
    token_failure = e;
  }
  if (token_failure)
    throw Error(Error::Kind::token, std::string("no access token: ") + token_failure->what(), 0, {},
                !token_failure->permanent());
  lease.report(x);
  ClientCounters::add(counters.requests);
  if (x.ec) {
    ClientCounters::add(counters.request_errors);
  } else {
    if (x.response.result_int() >= 400) ClientCounters::add(counters.http_errors);
    counters.latency.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  co_return x;
}

void Client::Impl::decode_response(http::Exchange& x) {
  const auto it = x.response.find(bhttp::field::content_encoding);
  if (it == x.response.end()) return;
  const auto c = coding::parse_coding(it->value());
  if (!c)
    throw Error(Error::Kind::protocol, "the proxy answered in Content-Encoding '" + std::string(it->value()) +
                                           "', which was not asked for");
  if (*c != coding::Coding::identity) {
    std::string plain = bodies.take(x.response.body().size() * 4);
    const auto result = coding::decode(*c, x.response.body(), options.pool.max_response_bytes, plain);
    if (result.status == coding::DecodeStatus::too_large)
      throw Error(Error::Kind::protocol, "the proxy's " + std::string(coding::name(*c)) +
                                             " answer decodes to more than pool.max_response_bytes = " +
                                             std::to_string(options.pool.max_response_bytes));
    if (result.status == coding::DecodeStatus::corrupt)
      throw Error(Error::Kind::protocol, "the proxy's answer is not valid " + std::string(coding::name(*c)) + ": " +
                                             result.message);
    bodies.give(std::move(x.response.body()));
    x.response.body() = std::move(plain);
    ClientCounters::add(counters.compressed_responses);
  }
  x.response.erase(bhttp::field::content_encoding);
}

namespace {

// What a failure to reach the proxy most likely means, in words that say what to do.
std::string transport_reason(const boost::system::error_code& ec, const net::BaseUrl& server) {
  const std::string where = server.host_header();
  if (ec == boost::beast::error::timeout) return "no answer in time from " + where;
  if (ec == asio::error::connection_refused) return "connection refused: nothing listens at " + where;
  if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again)
    return "host '" + server.host + "' not found";
  if (ec.category() == asio::error::get_ssl_category()) {
    const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_WRONG_VERSION_NUMBER)
      return where + " does not speak TLS (wrong version number): is it a plain-HTTP port? Then the endpoint is http://" +
             server.host_header() + server.path;
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
      return "the certificate of " + where +
             " is not trusted (certificate verify failed): trust the CA that signed it with the CA file setting "
             "(krest: --ca-file FILE; a krest-proxy's is <data_dir>/tls/cert.pem)";
  }
  // An http:// request to a TLS port: the server answers with a TLS alert, or closes, not HTTP.
  const auto& http_errors = make_error_code(boost::beast::http::error::end_of_stream).category();
  if (!server.tls && (ec.category() == http_errors || ec == asio::error::eof ||
                      ec == asio::error::connection_reset))
    return where + " did not answer in HTTP (" + ec.message() + "): is it a TLS port? Then the endpoint is https://" +
           server.host_header() + server.path;
  return ec.message() + " (" + where + ")";
}

// Failures no retry can mend: a certificate the client does not trust, a port that does not speak
// TLS. Retried, they would only hold every record until its delivery timeout, and a consumer's
// poll would return empty batches for ever.
bool permanent_transport(const boost::system::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  return reason == SSL_R_CERTIFICATE_VERIFY_FAILED || reason == SSL_R_WRONG_VERSION_NUMBER;
}

bool looks_like_html(const http::Response& r) {
  const auto type = r[boost::beast::http::field::content_type];
  if (type.size() >= 9 && boost::beast::iequals(type.substr(0, 9), "text/html")) return true;
  const auto& body = r.body();
  const auto start = body.find_first_not_of(" \t\r\n");
  return start != std::string::npos && body.compare(start, 1, "<") == 0;
}

}  // namespace

Error exchange_error(const http::Exchange& x, std::string_view what, const net::BaseUrl& server) {
  if (x.ec == boost::beast::http::error::body_limit)
    // Asked again, the same request gets the same answer: retried, a tail would wait for ever.
    return Error(Error::Kind::protocol,
                 std::string(what) + ": the proxy's answer is larger than pool.max_response_bytes (raise it, or "
                                     "ask for fewer records at once)",
                 0, {}, false);
  if (x.ec) {
    const bool timeout = x.ec == boost::beast::error::timeout;
    return Error(timeout ? Error::Kind::timeout : Error::Kind::transport,
                 std::string(what) + ": " + transport_reason(x.ec, server) +
                     (x.request_sent ? " (the request was sent; the proxy may have acted on it)" : ""),
                 0, {}, !permanent_transport(x.ec));
  }
  const int status = x.response.result_int();
  if (status >= 400 && looks_like_html(x.response)) {
    // A web server, a login page, a load balancer's error page: not the API.
    const std::string message = "the server at " + server.to_string() + " answered " + std::to_string(status) +
                                " with an HTML page: it is not a Kafka REST proxy there (check the endpoint and its path)";
    // An answer that makes no sense for the API (a protocol error, whatever its status).
    return Error(Error::Kind::protocol, std::string(what) + ": " + message, status, message, false);
  }
  std::string message = api::read_error_message(x.response.body());
  return Error(Error::Kind::http, std::string(what) + ": HTTP " + std::to_string(status) + ": " + message, status,
               message, retriable_status(status));
}

Client::Impl& impl_of(Client& client) { return *client.impl_; }

Error Client::Impl::error_of(const http::Exchange& x, std::string_view what) const {
  return exchange_error(x, what, x.server ? *x.server : base);
}

asio::awaitable<http::Exchange> Client::Impl::read_metadata(http::Request& req) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + options.metadata_retry;
  std::chrono::milliseconds backoff{100};
  for (;;) {
    auto x = co_await send(req);
    const int status = x.ec ? 0 : x.response.result_int();
    if ((status != 429 && status != 503) || Clock::now() + backoff > deadline) co_return x;
    ClientCounters::add(counters.retries);
    asio::steady_timer pause(ex, backoff);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

asio::awaitable<std::vector<api::PartitionMetadata>> read_partitions(Client::Impl& client, const std::string& topic) {
  const std::string what = "partitions of " + topic;
  http::Request req{boost::beast::http::verb::get,
                    client.target("/v1/metadata/topics/" + path_segment(topic) + "/partitions"), 11};
  auto x = co_await client.read_metadata(req);
  if (x.ec || x.response.result_int() != 200) throw client.error_of(x, what);
  auto parsed = api::parse_partitions(x.response.body());
  if (auto* e = std::get_if<std::string>(&parsed)) throw Error(Error::Kind::protocol, what + ": " + *e);
  co_return std::get<0>(std::move(parsed));
}

std::string path_segment(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

Client::Client(asio::any_io_executor ex, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(options))) {
  impl_->self = impl_;
  impl_->pool.keep_owner_alive(impl_);
  if (impl_->options.pool.eager) impl_->pool.open_all();
}

Client::~Client() { close(); }

asio::any_io_executor Client::executor() const { return impl_->ex; }
const ClientOptions& Client::options() const { return impl_->options; }
TokenSource& Client::tokens() { return impl_->tokens; }

void Client::close() {
  impl_->pool.close();
  impl_->tokens.stop();
}

ClientMetrics Client::metrics() const {
  const auto& c = impl_->counters;
  auto load = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  ClientMetrics m;
  m.requests = load(c.requests);
  m.request_errors = load(c.request_errors);
  m.http_errors = load(c.http_errors);
  m.retries = load(c.retries);
  m.connects = impl_->pool.connects();
  m.reconnects = impl_->pool.reconnects();
  m.tls_resumed = impl_->pool.resumed();
  m.name_lookups = impl_->pool.name_lookups();
  m.bytes_sent = load(c.bytes_sent);
  m.bytes_received = load(c.bytes_received);
  m.bytes_sent_plain = load(c.bytes_sent_plain);
  m.bytes_received_plain = load(c.bytes_received_plain);
  m.compressed_requests = load(c.compressed_requests);
  m.compressed_responses = load(c.compressed_responses);
  m.records_produced = load(c.records_produced);
  m.records_failed = load(c.records_failed);
  m.records_consumed = load(c.records_consumed);
  const auto t = impl_->tokens.stats();
  m.token_refreshes = t.acquired;
  m.token_failures = t.failures;
  const auto h = c.latency.snapshot();
  m.request_latency.count = h.count;
  m.request_latency.sum_seconds = h.sum_seconds;
  for (std::size_t i = 0; i < h.buckets.size(); ++i)
    m.request_latency.buckets.emplace_back(
        i < metrics::LatencyHistogram::kBounds.size() ? metrics::LatencyHistogram::kBounds[i] : INFINITY,
        h.buckets[i]);
  return m;
}

std::string Client::metrics_text(const std::string& prefix) const {
  const ClientMetrics m = metrics();
  std::string out;
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    metrics::append_counter(out, prefix + name, help, static_cast<double>(v));
  };
  counter("requests_total", "HTTP requests sent to the proxy, retries included", m.requests);
  counter("request_errors_total", "requests that got no response (connection failure, timeout)", m.request_errors);
  counter("http_errors_total", "responses with a 4xx or 5xx status", m.http_errors);
  counter("retries_total", "requests sent again", m.retries);
  counter("connects_total", "connections established", m.connects);
  counter("reconnects_total", "connections that replaced an earlier one", m.reconnects);
  counter("tls_resumed_total", "connections that resumed a TLS session", m.tls_resumed);
  counter("name_lookups_total", "lookups of the proxy's host name", m.name_lookups);
  counter("request_body_bytes_total", "bytes of request bodies sent, as sent", m.bytes_sent);
  counter("response_body_bytes_total", "bytes of response bodies received, as received", m.bytes_received);
  counter("request_body_plain_bytes_total", "bytes of request bodies before compression", m.bytes_sent_plain);
  counter("response_body_plain_bytes_total", "bytes of response bodies after decompression", m.bytes_received_plain);
  counter("compressed_requests_total", "requests sent with a compressed body", m.compressed_requests);
  counter("compressed_responses_total", "responses received compressed", m.compressed_responses);
  counter("records_produced_total", "records acknowledged by the proxy", m.records_produced);
  counter("records_failed_total", "records reported failed to the application", m.records_failed);
  counter("records_consumed_total", "records handed to the application", m.records_consumed);
  counter("token_refreshes_total", "access tokens obtained", m.token_refreshes);
  counter("token_failures_total", "token requests that failed", m.token_failures);
  metrics::append_family(out, prefix + "request_seconds", "histogram", "time from sending a request to its whole response");
  metrics::append_histogram(out, prefix + "request_seconds", "", impl_->counters.latency.snapshot());
  return out;
}

double LatencySummary::quantile(double q) const {
  if (count == 0) return 0;
  const double rank = std::ceil(q * static_cast<double>(count));
  std::uint64_t seen = 0;
  for (const auto& [bound, n] : buckets) {
    seen += n;
    if (static_cast<double>(seen) >= rank) return bound;
  }
  return buckets.empty() ? 0 : buckets.back().first;
}

}  // namespace krest
