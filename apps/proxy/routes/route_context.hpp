#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>

#include "access/authenticator.hpp"
#include "admission/body_budget.hpp"
#include "authority/authority.hpp"
#include "authority/secret_checks.hpp"
#include "config/proxy_config.hpp"
#include "quota/caller_quotas.hpp"
#include "routes/reply.hpp"
#include "routes/router.hpp"
#include "metrics/proxy_metrics.hpp"
#include "storage/storage.hpp"

namespace krest::proxy {

// What every handler may use. Handlers throw ProxyError; handle_request maps it.
struct RouteContext {
  Storage& storage;
  ProxyMetrics& metrics;
  const ProxyConfig& config;
  Authenticator* authenticator = nullptr;  // null: auth = none
  Authority* authority = nullptr;          // null: no development authority here
  SecretChecks* secret_checks = nullptr;   // with the authority: where client secrets are checked
  CallerQuotas* quotas = nullptr;          // quotas per caller (CallerQuotas::enabled: any set)
  // Where large produce bodies are parsed and stored, off the I/O thread that read them (null: on
  // it). Joined before the server's io_contexts go, so a request it works for outlives the work.
  boost::asio::thread_pool* large_bodies = nullptr;
  // Memory for bodies and answers (max_body_memory_bytes): a consume page is sized to what is left.
  const BodyBudget* memory = nullptr;
};

// `peer`: the address the request came from. The route may take `req`'s body (a produce frees it
// once parsed).
boost::asio::awaitable<Response> handle_request(RouteContext& ctx, Request& req, const std::string& peer);
// From a request's header alone, before its body is read: the refusal (unknown path, wrong method,
// missing or invalid token, a caller over its quota) to send instead of reading the body, or
// nullopt to go on. `peer` as for handle_request().
boost::asio::awaitable<std::optional<Response>> screen_request(RouteContext& ctx, const Request& header,
                                                               const std::string& peer);

// One handler per route family, each in its own file.
// Takes the request's body: it is freed once parsed, so that only one copy of it is in memory.
boost::asio::awaitable<Response> produce_route(RouteContext& ctx, const RouteMatch& m, Request& req);
boost::asio::awaitable<Response> consume_route(RouteContext& ctx, const RouteMatch& m, const Request& req);
boost::asio::awaitable<Response> topic_route(RouteContext& ctx, const RouteMatch& m, const Request& req);
boost::asio::awaitable<Response> metadata_route(RouteContext& ctx, const RouteMatch& m, const Request& req);
Response status_route(RouteContext& ctx, const RouteMatch& m, const Request& req);
boost::asio::awaitable<Response> authority_route(RouteContext& ctx, const RouteMatch& m, const Request& req,
                                                const std::string& peer);

// Path and query parameters, checked; errors name the parameter and the value.
std::string topic_param(const std::string& raw);
std::int32_t partition_param(const std::string& raw);
std::int64_t offset_param(const std::string& raw);
std::int64_t count_param(const std::string& raw, std::int64_t max);

}  // namespace krest::proxy
