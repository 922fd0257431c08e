#include <boost/beast/http/verb.hpp>

#include "api/json_text.hpp"
#include "api/metadata_body.hpp"
#include "api/topic_spec.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {
namespace http = boost::beast::http;

Response topic_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  const std::string topic = topic_param(m.params[0]);
  if (req.method() == http::verb::delete_) {
    ctx.storage.delete_topic(topic);
  } else {
    auto spec = api::parse_topic_spec(req.body());
    if (auto* problem = std::get_if<std::string>(&spec)) throw ProxyError(ErrorKind::bad_request, *problem);
    const auto& parsed = std::get<api::TopicSpec>(spec);
    if (parsed.partition_count && *parsed.partition_count > ctx.config.max_partitions_per_topic)
      throw ProxyError(ErrorKind::bad_request, "partition_count " + std::to_string(*parsed.partition_count) +
                                                   " is more than this server allows (max_partitions_per_topic = " +
                                                   std::to_string(ctx.config.max_partitions_per_topic) + ")");
    ctx.storage.create_topic(topic, parsed);
  }
  std::string out = "{\"topic\":";
  api::append_json_string(out, topic);
  out += '}';
  return json_reply(req, std::move(out));
}

Response metadata_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  switch (m.route) {
    case Route::brokers: return json_reply(req, api::write_brokers(ctx.storage.brokers()));
    case Route::topics: return json_reply(req, api::write_topic_list(ctx.storage.list_topics()));
    case Route::partitions: {
      const std::string topic = topic_param(m.params[0]);
      return json_reply(req, api::write_partitions(topic, ctx.storage.partitions(topic)));
    }
    default: {
      const std::string topic = topic_param(m.params[0]);
      return json_reply(req, api::write_partition(ctx.storage.partition(topic, partition_param(m.params[1]))));
    }
  }
}

}  // namespace krest::proxy
