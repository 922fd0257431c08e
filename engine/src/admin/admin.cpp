#include "krest/admin.hpp"

#include <boost/beast/http/field.hpp>

#include "api/metadata_body.hpp"
#include "api/topic_name.hpp"
#include "api/topic_spec.hpp"
#include "client/client_impl.hpp"

namespace krest {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

Broker to_broker(const api::BrokerEndpoint& b) { return {b.id, b.host_name, b.port, b.rack}; }

PartitionInfo to_partition(const api::PartitionMetadata& m) {
  PartitionInfo p{m.partition_id, m.earliest_offset, m.latest_offset, to_broker(m.leader), {}, {}};
  for (const auto& b : m.replicas) p.replicas.push_back(to_broker(b));
  for (const auto& b : m.isr) p.isr.push_back(to_broker(b));
  return p;
}

const std::string kNoBody;

void check_topic(const std::string& topic) {
  if (auto problem = api::check_topic_name(topic)) throw Error(Error::Kind::invalid, "topic '" + std::string(topic) + "': " + *problem);
}

// One request that must answer 200: the body of the answer, or the Error. A read is asked again
// while the proxy answers "not now" (ClientOptions::metadata_retry).
// Callers pass named strings: GCC 12 mishandles temporaries with destructors in a co_await
// expression (docs/ENGINE.md).
asio::awaitable<std::string> call(Client::Impl& c, bhttp::verb verb, const std::string& path, const std::string& what,
                                  const std::string& body = kNoBody) {
  // The client's parts stay while the call runs, should the Client go first (its close() ends the call).
  const auto alive = c.self.lock();
  http::Request req{verb, c.target(path), 11};
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  http::Exchange x;
  if (verb == bhttp::verb::get)
    x = co_await c.read_metadata(req);
  else
    x = co_await c.send(req);
  if (x.ec || x.response.result_int() != 200) throw c.error_of(x, what);
  co_return std::move(x.response.body());
}

template <class T>
T parsed_or_throw(std::variant<T, std::string> v, const std::string& what) {
  if (auto* e = std::get_if<std::string>(&v)) throw Error(Error::Kind::protocol, what + ": " + *e);
  return std::get<T>(std::move(v));
}

}  // namespace

asio::awaitable<bool> Admin::status() {
  http::Request req{bhttp::verb::get, impl_of(client_).target("/v1/status"), 11};
  auto x = co_await impl_of(client_).send(req);
  co_return !x.ec && x.response.result_int() == 200;
}

asio::awaitable<std::vector<std::string>> Admin::list_topics() {
  const std::string path = "/v1/metadata/topics", what = "list topics";
  auto body = co_await call(impl_of(client_), bhttp::verb::get, path, what);
  co_return parsed_or_throw(api::parse_topic_list(body), what);
}

asio::awaitable<void> Admin::create_topic(const std::string& topic, const TopicSettings& settings) {
  check_topic(topic);
  api::TopicSpec spec{settings.partitions, settings.replication_factor, settings.properties};
  const std::string path = "/v1/topics/" + path_segment(topic), what = "create topic " + topic,
                    body = api::write_topic_spec(spec);
  co_await call(impl_of(client_), bhttp::verb::put, path, what, body);
}

asio::awaitable<void> Admin::delete_topic(const std::string& topic) {
  check_topic(topic);
  const std::string path = "/v1/topics/" + path_segment(topic), what = "delete topic " + topic;
  co_await call(impl_of(client_), bhttp::verb::delete_, path, what);
}

asio::awaitable<std::vector<PartitionInfo>> Admin::describe_topic(const std::string& topic) {
  check_topic(topic);
  const auto partitions = co_await read_partitions(impl_of(client_), topic);
  std::vector<PartitionInfo> out;
  for (const auto& m : partitions) out.push_back(to_partition(m));
  co_return out;
}

asio::awaitable<TopicInfo> Admin::describe(const std::string& topic) {
  check_topic(topic);
  const std::string what = "describe topic " + topic;
  const std::string path = "/v1/metadata/topics/" + path_segment(topic) + "/partitions";
  auto body = co_await call(impl_of(client_), bhttp::verb::get, path, what);
  TopicInfo info;
  for (const auto& m : parsed_or_throw(api::parse_partitions(body), what)) info.partitions.push_back(to_partition(m));
  info.properties = api::parse_topic_properties(body);
  co_return info;
}

asio::awaitable<PartitionInfo> Admin::describe_partition(const std::string& topic, std::int32_t partition) {
  check_topic(topic);
  const std::string what = "describe partition " + topic + "/" + std::to_string(partition);
  const std::string path =
      "/v1/metadata/topics/" + path_segment(topic) + "/partitions/" + std::to_string(partition);
  auto body = co_await call(impl_of(client_), bhttp::verb::get, path, what);
  co_return to_partition(parsed_or_throw(api::parse_partition(body), what));
}

asio::awaitable<std::vector<Broker>> Admin::brokers() {
  const std::string path = "/v1/metadata/brokers", what = "list brokers";
  auto body = co_await call(impl_of(client_), bhttp::verb::get, path, what);
  std::vector<Broker> out;
  for (const auto& b : parsed_or_throw(api::parse_brokers(body), what)) out.push_back(to_broker(b));
  co_return out;
}

}  // namespace krest
