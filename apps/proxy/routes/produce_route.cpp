#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/produce_response.hpp"
#include "proxy_error.hpp"
#include "routes/route_context.hpp"

namespace asio = boost::asio;

namespace krest::proxy {
namespace {

// A body this large takes its I/O thread long enough to parse and frame (a 60 MiB one about half a
// second) that every other request on that thread would wait behind it: it goes to the pool.
constexpr std::size_t kLargeBodyBytes = 1 << 20;

struct Stored {
  std::size_t records = 0, payload_bytes = 0;
  std::vector<RecordPosition> positions;
};

asio::awaitable<Stored> parse_and_store(RouteContext& ctx, const std::string& topic, Request& req) {
  api::ProduceBody body;
  if (auto err = api::parse_produce_body(req.body(), static_cast<std::size_t>(ctx.config.max_records_per_request), body))
    throw ProxyError(err->kind == api::ProduceParseError::Kind::too_many_records ? ErrorKind::payload_too_large
                                                                                 : ErrorKind::bad_request,
                     err->message);
  // Parsed: the text goes now, so that a body and its records are never in memory beside the
  // records' frame for the log (max_body_memory_bytes counts two copies of each body).
  std::string().swap(req.body());
  Stored out;
  out.records = body.size();
  for (std::size_t i = 0; i < body.size(); ++i) out.payload_bytes += body.payload_bytes(body.record(i));
  out.positions = co_await ctx.storage.produce(topic, body);  // may empty `body`
  co_return out;
}

}  // namespace

boost::asio::awaitable<Response> produce_route(RouteContext& ctx, const RouteMatch& m, Request& req) {
  const std::string topic = topic_param(m.params[0]);
  Stored stored;
  if (ctx.large_bodies && req.body().size() >= kLargeBodyBytes) {
    // Named first (GCC 12 and temporaries in co_await); `topic` and `req` outlive it: this frame
    // waits for it, and the pool is joined before the I/O threads' frames can go.
    auto on_pool = parse_and_store(ctx, topic, req);
    stored = co_await asio::co_spawn(ctx.large_bodies->get_executor(), std::move(on_pool), asio::use_awaitable);
  } else {
    stored = co_await parse_and_store(ctx, topic, req);
  }
  ctx.metrics.add_records_in(stored.records, stored.payload_bytes);

  // (krest) One entry per record in request order; HDInsight's body differs and clients treat any
  // 200 as success.
  co_return json_reply(req, api::write_produce_response(stored.positions));
}

}  // namespace krest::proxy
