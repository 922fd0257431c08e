#include <boost/beast/http/verb.hpp>

#include "api/json_text.hpp"
#include "api/metadata_body.hpp"
#include "api/topic_spec.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

boost::asio::awaitable<Response> topic_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  const std::string topic = topic_param(m.params[0]);
  if (req.method() == http::verb::delete_) {
    co_await ctx.storage.delete_topic(topic);
  } else {
    auto spec = api::parse_topic_spec(req.body());
    if (auto* problem = std::get_if<std::string>(&spec)) throw ProxyError(ErrorKind::bad_request, *problem);
    const auto& parsed = std::get<api::TopicSpec>(spec);
    if (parsed.partition_count && *parsed.partition_count > ctx.config.max_partitions_per_topic)
      throw ProxyError(ErrorKind::bad_request, "partition_count " + std::to_string(*parsed.partition_count) +
                                                   " is more than this server allows (max_partitions_per_topic = " +
                                                   std::to_string(ctx.config.max_partitions_per_topic) + ")");
    co_await ctx.storage.create_topic(topic, parsed);
  }
  std::string out = "{\"topic\":";
  api::append_json_string(out, topic);
  out += '}';
  co_return json_reply(req, std::move(out));
}

boost::asio::awaitable<Response> metadata_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  switch (m.route) {
    case Route::brokers: co_return json_reply(req, api::write_brokers(ctx.storage.brokers()));
    case Route::topics: co_return json_reply(req, api::write_topic_list(ctx.storage.list_topics()));
    case Route::partitions: {
      const std::string topic = topic_param(m.params[0]);
      auto partitions = co_await ctx.storage.partitions(topic);
      const auto properties = co_await ctx.storage.topic_properties(topic);
      co_return json_reply(req, api::write_partitions(topic, partitions, properties ? &*properties : nullptr));
    }
    default: {
      const std::string topic = topic_param(m.params[0]);
      const auto partition = partition_param(m.params[1]);
      auto metadata = co_await ctx.storage.partition(topic, partition);
      co_return json_reply(req, api::write_partition(metadata));
    }
  }
}

}  // namespace krest::proxy
