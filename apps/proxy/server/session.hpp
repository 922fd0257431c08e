#pragma once
// One client connection: read a request, route it, write the response, until the client or a
// timeout ends it. HTTP/1.1 keep-alive and pipelining (requests already buffered are answered in
// order) over TLS or plain TCP.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>

#include "routes/route_context.hpp"
#include "admission/body_budget.hpp"
#include "server/body_codings.hpp"
#include "server/worker.hpp"

namespace krest::proxy {

struct SessionEnv {
  RouteContext& routes;
  const ProxyConfig& config;
  ProxyMetrics& metrics;
  const std::atomic<bool>& stopping;
  BodyCodings codings;
  BodyBudget& bodies;
};

boost::asio::awaitable<void> serve_tls(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
                                       SessionEnv& env, Worker& worker);
boost::asio::awaitable<void> serve_plain(boost::asio::ip::tcp::socket socket, SessionEnv& env, Worker& worker);

}  // namespace krest::proxy
