#include "bench/bench_run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "api/consume_body.hpp"
#include "api/produce_body.hpp"
#include "api/utf8.hpp"
#include "cli/command_line.hpp"
#include "cli/terminal_status.hpp"
#include "cli/usage_error.hpp"
#include "client/client_impl.hpp"
#include "krest/admin.hpp"
#include "krest/consumer.hpp"
#include "krest/version.hpp"

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace krest::cli {
namespace {

// What the request loops share; they all run on one executor.
struct BenchState {
  const BenchOptions& o;
  Client::Impl& client;
  BenchResult result;
  std::vector<std::string> values;                    // the record values, in turn
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;  // consume: [earliest, latest) per partition
  Clock::time_point start, end;
  std::uint64_t issued = 0;  // requests handed to a loop so far
  std::size_t running = 0;
  std::unique_ptr<asio::steady_timer> all_done;
  std::unique_ptr<asio::steady_timer> tick;
  const std::function<void(const BenchResult&, double)>* on_tick = nullptr;  // valid while !over
  bool over = false;
  // end-to-end: the tailing consumer, and how its loop and the producers' end meet.
  std::shared_ptr<Consumer> consumer;
  bool producers_done = false, consumer_finished = false;
  std::unique_ptr<asio::steady_timer> consumer_done;  // cancelled when the consumer loop ends
  const bool& stop;

  BenchState(const BenchOptions& opts, Client::Impl& c, const bool& s) : o(opts), client(c), stop(s) {}

  // The next request's number and the moment it is meant to go, or nothing when the run is over.
  std::optional<std::pair<std::uint64_t, Clock::time_point>> next_slot() {
    if (stop) return std::nullopt;
    if (o.records > 0 && issued * static_cast<std::uint64_t>(o.batch) >= static_cast<std::uint64_t>(o.records))
      return std::nullopt;
    const auto i = issued;
    auto intended = Clock::now();
    if (o.rate > 0) intended = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                           static_cast<double>(i) / o.rate));
    if (o.records <= 0 && intended >= end) return std::nullopt;
    if (o.records <= 0 && o.rate <= 0 && Clock::now() >= end) return std::nullopt;
    ++issued;
    return std::pair{i, intended};
  }

  bool end_to_end() const { return o.mode == "end-to-end"; }
  bool is_produce(std::uint64_t i) const {
    if (o.mode != "mixed") return o.mode != "consume";
    return static_cast<std::int64_t>(i % static_cast<std::uint64_t>(o.ratio_produce + o.ratio_consume)) < o.ratio_produce;
  }

  // end-to-end: a record's value starts with the moment it was due to be sent, in microseconds
  // since the run's start ("e2e:000001234567:"), so the consumer can time it to its arrival.
  static constexpr std::size_t kStampSize = 4 + 12 + 1;
  std::string stamped(std::string_view value, Clock::time_point due) const {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(due - start).count();
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "e2e:%012lld:", static_cast<long long>(std::max<std::int64_t>(0, micros)));
    std::string out(stamp, kStampSize);
    // A generated value keeps its size; a sample line keeps all of itself (cut, it might not be UTF-8).
    if (o.sample_file.empty())
      out.append(value.substr(std::min(value.size(), kStampSize)));
    else
      out.append(value);
    return out;
  }
  std::optional<std::int64_t> stamp_of(std::string_view value) const {
    if (value.size() < kStampSize || value.substr(0, 4) != "e2e:" || value[kStampSize - 1] != ':') return std::nullopt;
    std::int64_t micros = 0;
    for (char c : value.substr(4, 12)) {
      if (c < '0' || c > '9') return std::nullopt;
      micros = micros * 10 + (c - '0');
    }
    return micros;
  }

  http::Request produce_request(std::uint64_t i, Clock::time_point due) {
    http::Request req{bhttp::verb::post, client.target("/v1/producer/topics/" + o.topic), 11};
    req.set(bhttp::field::content_type, "application/json");
    std::string& body = req.body();
    body.reserve(static_cast<std::size_t>(o.batch) * (values[0].size() + 16) + 32);
    api::ProduceBodyWriter writer(body);
    for (std::int64_t r = 0; r < o.batch; ++r) {
      const auto n = i * static_cast<std::uint64_t>(o.batch) + static_cast<std::uint64_t>(r);
      const std::string& value = values[n % values.size()];
      std::optional<std::string> key;
      if (o.keys > 0) key = "key-" + std::to_string(n % static_cast<std::uint64_t>(o.keys));
      if (end_to_end())
        writer.add_string_record(key, stamped(value, due));
      else
        writer.add_string_record(key, value);
    }
    writer.finish();
    return req;
  }

  http::Request consume_request(std::uint64_t i) {
    // Request i reads window i of the partitions' records, spread over the partitions in turn.
    const auto& [first, last] = ranges[i % ranges.size()];
    const auto windows = std::max<std::int64_t>(1, (last - first) / o.batch);
    const auto offset = first + static_cast<std::int64_t>((i / ranges.size()) % static_cast<std::uint64_t>(windows)) * o.batch;
    return http::Request{bhttp::verb::get,
                         client.target("/v1/consumer/topics/" + o.topic + "/partitions/" +
                                       std::to_string(i % ranges.size()) + "/offsets/" + std::to_string(offset) +
                                       "?count=" + std::to_string(o.batch)),
                         11};
  }

  void finished(bool produce, const http::Exchange& x, Clock::time_point intended, std::size_t sent_bytes) {
    const auto done = Clock::now();
    auto& r = result;
    ++r.requests;
    auto& interval = r.timeline.at(std::chrono::duration<double>(done - start).count());
    ++interval.requests;
    const int status = x.ec ? 0 : x.response.result_int();
    if (status != 200) {
      ++r.failed;
      ++interval.failed;
      if (r.errors.size() < 5)
        r.errors.push_back(x.ec ? x.ec.message() : "HTTP " + std::to_string(status) + ": " + x.response.body().substr(0, 200));
      return;
    }
    if (end_to_end()) {  // the consumer counts records and their latency; here what was acknowledged
      r.produced += static_cast<std::uint64_t>(o.batch);
      r.bytes += sent_bytes;
      return;
    }
    const auto micros = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(done - intended).count());
    r.latency.record(micros);
    interval.latency.record(micros);
    std::uint64_t records = 0;
    if (produce) {
      records = static_cast<std::uint64_t>(o.batch);
      r.bytes += sent_bytes;
    } else {
      // Records without parsing the body: one "offset" per record.
      const auto& b = x.response.body();
      for (auto at = b.find("\"offset\":"); at != std::string::npos; at = b.find("\"offset\":", at + 9)) ++records;
      r.bytes += b.size();
    }
    r.records += records;
    interval.records += records;
  }
};

asio::awaitable<void> request_loop(std::shared_ptr<BenchState> st) {
  asio::steady_timer wait(co_await asio::this_coro::executor);
  while (auto slot = st->next_slot()) {
    const auto [i, intended] = *slot;
    if (intended > Clock::now()) {
      wait.expires_at(intended);
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    const bool produce = st->is_produce(i);
    http::Request req = produce ? st->produce_request(i, intended) : st->consume_request(i);
    const std::size_t bytes = req.body().size();
    auto x = co_await st->client.send(req);
    st->finished(produce, x, intended, bytes);
  }
  if (--st->running == 0) st->all_done->cancel();
}

// end-to-end: times every stamped record from when it was due to be sent to its arrival here,
// until the producers are done and every record they had acknowledged has come (or close()).
asio::awaitable<void> consume_loop(std::shared_ptr<BenchState> st) {
  auto& r = st->result;
  try {
    for (;;) {
      auto batch = co_await st->consumer->poll(100ms);
      if (!batch) break;
      const auto now = Clock::now();
      const auto arrived = std::chrono::duration_cast<std::chrono::microseconds>(now - st->start).count();
      auto& interval = r.timeline.at(std::chrono::duration<double>(now - st->start).count());
      for (const auto& record : batch->records) {
        const auto due = st->stamp_of(record.value);
        if (!due) continue;  // not one of this run's records
        const auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(0, arrived - *due));
        r.latency.record(micros);
        interval.latency.record(micros);
        ++r.records;
        ++interval.records;
      }
      st->consumer->recycle(std::move(*batch));
      if (st->producers_done && r.records >= r.produced) break;
    }
  } catch (const Error& e) {
    r.errors.push_back(std::string("the consumer: ") + e.what());
  }
  st->consumer_finished = true;
  st->consumer_done->cancel();
}

// Calls on_tick about 4 times a second until the run is over.
asio::awaitable<void> report_progress(std::shared_ptr<BenchState> st) {
  while (!st->over) {
    st->tick->expires_after(250ms);
    co_await st->tick->async_wait(asio::as_tuple(asio::use_awaitable));
    if (st->over) break;
    if (*st->on_tick) (*st->on_tick)(st->result, std::chrono::duration<double>(Clock::now() - st->start).count());
  }
}

std::vector<std::string> make_values(const BenchOptions& o) {
  std::vector<std::string> values;
  if (!o.sample_file.empty()) {
    std::ifstream in(o.sample_file);
    if (!in) throw UsageError("cannot read --sample '" + o.sample_file + "'");
    std::string line;
    while (std::getline(in, line) && values.size() < 100000) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty() && api::valid_utf8(line)) values.push_back(line);
    }
    if (values.empty()) throw UsageError("--sample '" + o.sample_file + "' has no UTF-8 lines to send");
    return values;
  }
  // Sizes spread evenly over [record_size, record_size_max] when a range is given: 1,024 values
  // drawn once (the same on every run), used in turn.
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::int64_t> size(o.record_size, std::max(o.record_size, o.record_size_max));
  const int count = o.record_size_max > o.record_size ? 1024 : 64;
  for (int v = 0; v < count; ++v) {
    std::string value = "bench-" + std::to_string(v) + "-";
    value.resize(static_cast<std::size_t>(size(rng)), static_cast<char>('a' + v % 26));
    values.push_back(std::move(value));
  }
  return values;
}

// "Intel(R) Xeon(R) ... x 2": the first model name in /proc/cpuinfo and the CPUs this process may use.
std::string describe_cpu() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      model = line.substr(line.find(':') + 1);
      model.erase(0, model.find_first_not_of(' '));
      break;
    }
  return model + " x " + std::to_string(std::thread::hardware_concurrency());
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("unknown host");
}

BenchInfo describe_run(const BenchOptions& o, const Client::Impl& client) {
  BenchInfo info;
  info.mode = o.mode;
  info.topic = o.topic;
  info.endpoint = client.options.endpoint;
  info.krest_version = KREST_VERSION_STRING;
  info.command_line = command_line();
  info.host = host_name();
  info.cpu = describe_cpu();
  info.batch = o.batch;
  info.record_size = o.mode == "consume" ? 0 : o.record_size;
  info.record_size_max = o.mode == "consume" ? 0 : o.record_size_max;
  info.keys = o.mode == "consume" ? 0 : o.keys;
  if (o.mode == "mixed") info.ratio = std::to_string(o.ratio_produce) + ":" + std::to_string(o.ratio_consume);
  if (o.mode == "end-to-end") info.poll_max_ms = o.poll_max.count();
  info.in_flight = o.in_flight;
  info.rate = o.rate;
  return info;
}

}  // namespace

asio::awaitable<BenchResult> run_bench(Client& client, const BenchOptions& o,
                                       const std::function<void(const BenchResult&, double)>& on_tick,
                                       const bool& stop) {
  auto st = std::make_shared<BenchState>(o, impl_of(client), stop);
  st->values = make_values(o);

  Admin admin(client);
  std::vector<PartitionInfo> partitions;
  try {
    partitions = co_await admin.describe_topic(o.topic);
  } catch (const Error& e) {
    if (e.kind() != Error::Kind::http || e.status() != 404) throw;
    if (o.partitions <= 0)
      throw std::runtime_error("topic '" + o.topic + "' does not exist (create it: krest topics create " + o.topic +
                               ", or give --partitions N to have it created)");
  }
  if (partitions.empty()) {
    TopicSettings settings;
    settings.partitions = o.partitions;
    co_await admin.create_topic(o.topic, settings);
    partitions = co_await admin.describe_topic(o.topic);
  }
  st->result.info = describe_run(o, st->client);
  st->result.info.partitions = static_cast<std::int32_t>(partitions.size());
  if (o.mode == "consume" || o.mode == "mixed") {
    std::sort(partitions.begin(), partitions.end(),
              [](const PartitionInfo& a, const PartitionInfo& b) { return a.partition < b.partition; });
    std::int64_t total = 0;
    for (const auto& p : partitions) {
      st->ranges.emplace_back(p.earliest_offset, p.latest_offset);
      total += p.latest_offset - p.earliest_offset;
    }
    if (total < o.batch)
      throw UsageError("topic '" + o.topic + "' holds " + std::to_string(total) + " records, fewer than one request's " +
                       std::to_string(o.batch) + ": run krest bench produce first");
  }

  auto ex = co_await asio::this_coro::executor;
  st->all_done = std::make_unique<asio::steady_timer>(ex, Clock::time_point::max());
  st->consumer_done = std::make_unique<asio::steady_timer>(ex, Clock::time_point::max());
  if (st->end_to_end()) {
    // A tail as krest tail runs it (following, backing off at the end up to poll_max), from the
    // partitions' ends now, so it sees only this run's records.
    ConsumerOptions copts;
    copts.follow = true;
    copts.poll_max = o.poll_max;
    copts.poll_initial = std::min(copts.poll_initial, o.poll_max);
    copts.max_in_flight = Concurrency::automatic(16);
    st->consumer = std::make_shared<Consumer>(client, copts);
    co_await st->consumer->subscribe(o.topic, StartAt::latest());
  }
  if (o.start_at) {
    // Several machines given one wall-clock time start together, whatever their set-up took.
    // In steps, so that an interrupt while waiting ends the wait.
    asio::steady_timer step(ex);
    for (auto left = *o.start_at - std::chrono::system_clock::now();
         left > std::chrono::system_clock::duration::zero() && !stop; left = *o.start_at - std::chrono::system_clock::now()) {
      step.expires_after(std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(left), 100ms));
      co_await step.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  st->result.info.start_unix_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  st->start = Clock::now();
  st->end = st->start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  st->running = static_cast<std::size_t>(o.in_flight);
  for (std::int64_t i = 0; i < o.in_flight; ++i) asio::co_spawn(ex, request_loop(st), asio::detached);

  if (st->consumer) asio::co_spawn(ex, consume_loop(st), asio::detached);

  st->on_tick = &on_tick;
  st->tick = std::make_unique<asio::steady_timer>(ex);
  asio::co_spawn(ex, report_progress(st), asio::detached);
  // co_spawn (Boost 1.81) starts each loop at once, inside the call: loops that never wait (every
  // answer already there when read, as on a busy loopback, or a stop before the start) are over
  // before this wait begins, and their cancel() found no wait to end.
  if (st->running > 0) co_await st->all_done->async_wait(asio::as_tuple(asio::use_awaitable));
  if (st->consumer) {
    // The producers are done: what they had acknowledged should arrive within the consumer's own
    // longest wait and a margin; what has not by then is reported missing.
    st->producers_done = true;
    if (!st->consumer_finished && st->result.records < st->result.produced && !stop) {
      st->consumer_done->expires_after(o.poll_max + 10s);
      co_await st->consumer_done->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    st->consumer->close();
    if (!st->consumer_finished) {
      st->consumer_done->expires_after(2s);
      co_await st->consumer_done->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto& r = st->result;
    if (r.records < r.produced) {
      r.missing = r.produced - r.records;
      r.errors.push_back(with_thousands(r.missing) + " of " + with_thousands(r.produced) +
                         " records acknowledged were not consumed within " +
                         std::to_string((o.poll_max + 10s).count() / 1000) + " s of the end");
    }
  }
  st->over = true;  // before run_bench returns: the ticker never calls on_tick after this
  st->tick->cancel();
  st->result.seconds = std::chrono::duration<double>(Clock::now() - st->start).count();
  co_return st->result;
}

}  // namespace krest::cli
