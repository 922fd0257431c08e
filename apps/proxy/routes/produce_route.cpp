#include "api/produce_response.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {

boost::asio::awaitable<Response> produce_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  const std::string topic = topic_param(m.params[0]);
  api::ProduceBody body;
  if (auto err =
          api::parse_produce_body(req.body(), static_cast<std::size_t>(ctx.config.max_records_per_request), body))
    throw ProxyError(err->kind == api::ProduceParseError::Kind::too_many_records ? ErrorKind::payload_too_large
                                                                                 : ErrorKind::bad_request,
                     err->message);

  auto positions = co_await ctx.storage.produce(topic, body);

  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < body.size(); ++i) bytes += body.payload_bytes(body.record(i));
  ctx.metrics.add_records_in(body.size(), bytes);

  // (krest) One entry per record in request order; HDInsight's body differs and clients treat any
  // 200 as success.
  co_return json_reply(req, api::write_produce_response(positions));
}

}  // namespace krest::proxy
