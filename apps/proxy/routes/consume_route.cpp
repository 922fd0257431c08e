#include <algorithm>

#include "api/consume_body.hpp"
#include "routes/route_context.hpp"

namespace krest::proxy {
namespace {

// The smallest page served while memory is short (a page has at least one record, whatever its size).
constexpr std::uint64_t kLeastPageBytes = 64 * 1024;

}  // namespace

boost::asio::awaitable<Response> consume_route(RouteContext& ctx, const RouteMatch& m, const Request& req) {
  const std::string topic = topic_param(m.params[0]);
  FetchRequest fetch;
  fetch.partition = partition_param(m.params[1]);
  fetch.offset = offset_param(m.params[2]);
  fetch.max_records =
      m.has_count ? static_cast<std::size_t>(count_param(m.query_count, ctx.config.max_consume_count)) : 1;
  fetch.max_bytes = api::kConsumeMaxBytes;
  if (ctx.memory) {
    // While bodies and unread answers fill max_body_memory_bytes, pages get smaller (counted as a
    // body is, twice: the records read, then their JSON); with next to no room, 503.
    const std::uint64_t room = ctx.memory->room() / BodyBudget::kCopiesPerBody;
    if (room < kLeastPageBytes) {
      ctx.metrics.consume_memory_refused();
      co_return memory_busy_reply(req.version(), ctx.memory->limit());
    }
    fetch.max_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(fetch.max_bytes, room));
  }

  FetchResult result = co_await ctx.storage.fetch(topic, fetch);

  std::string out;
  out.reserve(32 + result.bytes + result.records.size() * 112);
  api::ConsumeBodyWriter writer(out, fetch.partition);
  for (const auto& r : result.records)
    writer.add({r.offset, r.timestamp_ms, result.key(r), result.value(r), r.plain_json, r.log_append_time});
  writer.finish();
  ctx.metrics.add_records_out(result.records.size(), result.bytes);

  Response res = json_reply(req, std::move(out));
  res.set(api::kNextOffsetHeader, std::to_string(result.next_offset));
  co_return res;
}

}  // namespace krest::proxy
