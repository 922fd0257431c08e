#include "storage/embedded/embedded_log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

#include "metrics/prometheus.hpp"
#include "proxy_error.hpp"
#include "storage/record_placement.hpp"
#include "storage/embedded/record_frame.hpp"

namespace krest::proxy {
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The topic properties the embedded log acts on; the rest are stored and reported as given.
struct TopicSettings {
  LogSettings log;
  std::int64_t max_message_bytes = 0;
};

std::int64_t property_int(const std::map<std::string, std::string>& props, const std::string& name,
                          std::int64_t fallback, std::int64_t min) {
  auto it = props.find(name);
  if (it == props.end()) return fallback;
  std::int64_t v = 0;
  const auto& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < min)
    throw ProxyError(ErrorKind::bad_request,
                     "topic_properties." + name + " = '" + s + "' must be an integer >= " + std::to_string(min));
  return v;
}

TopicSettings resolve_settings(const api::TopicSpec& spec, const EmbeddedLogOptions& o) {
  TopicSettings t;
  const auto& p = spec.properties;
  t.log.retention_ms = property_int(p, "retention.ms", o.default_retention_ms, -1);
  t.log.retention_bytes = property_int(p, "retention.bytes", o.default_retention_bytes, -1);
  t.log.segment_bytes = property_int(p, "segment.bytes", o.default_segment_bytes, 1024);
  t.max_message_bytes = property_int(p, "max.message.bytes", o.default_max_message_bytes, 1);
  if (auto it = p.find("cleanup.policy"); it != p.end() && it->second != "delete")
    throw ProxyError(ErrorKind::bad_request, "topic_properties.cleanup.policy = '" + it->second +
                                                 "' is not supported by the embedded log (only 'delete')");
  t.log.track_unsynced = o.durability != DurabilityPolicy::none;
  t.log.sync_directories = o.durability != DurabilityPolicy::none;
  return t;
}

void write_file_durably(const fs::path& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw ProxyError(ErrorKind::insufficient_storage, "cannot write " + path.string());
}

// Descriptors kept free beside a create: connections and segment rolls need some.
constexpr std::int64_t kDescriptorMargin = 256;

// Descriptors this process may still open (the soft limit minus those open), where it can tell.
std::optional<std::int64_t> free_descriptors() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  std::error_code ec;
  std::int64_t open = 0;
  for (fs::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++open;
  if (ec) return std::nullopt;
  return static_cast<std::int64_t>(limit.rlim_cur) - open;
}

void sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

struct EmbeddedLog::Topic {
  std::string name;
  api::TopicSpec spec;
  TopicSettings settings;
  std::vector<std::shared_ptr<PartitionLog>> partitions;
  // Keyless records of one request go to one partition, the next request's to the next
  // (Kafka's sticky partitioning): fewer, larger frames than spreading record by record.
  std::atomic<std::uint32_t> sticky{0};
};

EmbeddedLog::EmbeddedLog(EmbeddedLogOptions options)
    : options_(std::move(options)),
      topics_dir_(options_.data_dir / "topics"),
      durability_(
          options_.durability, options_.fsync_interval, [this] { sync_all(); }, metrics_.durable_waits) {
  fs::create_directories(topics_dir_);
  // Creates are built in staging/ and deletes moved to trash/ before they are removed, both
  // beside topics/, so that topics/ holds topics and nothing else: any name a topic may have
  // (".keep", ".creating-v2") is a topic's, and none is taken for a leftover. A crash leaves
  // staging/ and trash/ for the next start to empty.
  for (const auto& leftovers : {staging_dir(), trash_dir()}) {
    fs::remove_all(leftovers);
    fs::create_directories(leftovers);
  }
  // Data directories written before this layout kept those leftovers in topics/ itself, as
  // ".creating-NAME" and ".deleted-NAME-MS": removed once, then the layout is marked.
  const fs::path layout = options_.data_dir / "LAYOUT";
  if (!fs::exists(layout)) {
    for (const auto& entry : fs::directory_iterator(topics_dir_)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with(".creating-") || name.starts_with(".deleted-")) fs::remove_all(entry.path());
    }
    write_file_durably(layout, "2\n");
  }
  for (const auto& entry : fs::directory_iterator(topics_dir_))
    if (entry.is_directory()) topics_[entry.path().filename().string()] = open_topic(entry.path().filename().string());
  spdlog::info("embedded log: {} topic(s) in {}", topics_.size(), options_.data_dir.string());
}

EmbeddedLog::~EmbeddedLog() { stop(); }

std::filesystem::path EmbeddedLog::staging_dir() const { return options_.data_dir / "staging"; }
std::filesystem::path EmbeddedLog::trash_dir() const { return options_.data_dir / "trash"; }

std::string EmbeddedLog::unique_name() {
  return std::to_string(now_ms()) + "-" + std::to_string(next_unique_.fetch_add(1));
}

std::shared_ptr<EmbeddedLog::Topic> EmbeddedLog::open_topic(const std::string& name) {
  fs::path dir = topics_dir_ / name;
  std::ifstream in(dir / "topic.json", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = api::parse_topic_spec(text.str());
  if (!in || std::holds_alternative<std::string>(parsed))
    throw std::runtime_error("cannot read " + (dir / "topic.json").string());
  auto t = std::make_shared<Topic>();
  t->name = name;
  t->spec = std::get<api::TopicSpec>(parsed);
  t->settings = resolve_settings(t->spec, options_);
  t->settings.log.metrics = &metrics_;
  for (std::int32_t p = 0; p < t->spec.partition_count.value_or(1); ++p)
    t->partitions.push_back(PartitionLog::open(dir / std::to_string(p), p, t->settings.log));
  return t;
}

void EmbeddedLog::start() {
  durability_.start();
  retention_thread_ = std::thread([this] { run_retention(); });
}

void EmbeddedLog::stop() {
  {
    std::lock_guard lock(retention_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  retention_cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
  durability_.stop();
  if (options_.durability != DurabilityPolicy::none) sync_all();
}

std::vector<std::shared_ptr<EmbeddedLog::Topic>> EmbeddedLog::snapshot() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<Topic>> out;
  for (const auto& [name, t] : topics_) out.push_back(t);
  return out;
}

void EmbeddedLog::sync_all() {
  for (const auto& t : snapshot())
    for (const auto& p : t->partitions)
      if (p->written_mark() > p->synced_mark()) p->sync();
}

void EmbeddedLog::run_retention() {
  std::unique_lock lock(retention_mu_);
  while (!retention_cv_.wait_for(lock, options_.retention_interval, [&] { return stopping_; })) {
    lock.unlock();
    const std::int64_t now = now_ms();
    for (const auto& t : snapshot())
      for (const auto& p : t->partitions) p->enforce_retention(now);
    lock.lock();
  }
}

std::shared_ptr<EmbeddedLog::Topic> EmbeddedLog::find(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) throw ProxyError(ErrorKind::not_found, "topic '" + name + "' not found");
  return it->second;
}

std::vector<std::string> EmbeddedLog::list_topics() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, t] : topics_)
    if (!name.starts_with("__")) names.push_back(name);  // internal topics are left out, as on Kafka
  return names;
}

void EmbeddedLog::create_topic_now(const std::string& name, const api::TopicSpec& requested) {
  api::TopicSpec spec = requested;
  if (!spec.partition_count) spec.partition_count = options_.default_partitions;
  if (!spec.replication_factor) spec.replication_factor = 1;
  resolve_settings(spec, options_);  // reject bad properties before touching the disk

  std::unique_lock lock(mu_);
  if (topics_.contains(name)) throw ProxyError(ErrorKind::conflict, "topic '" + name + "' already exists");
  // Each partition holds its segment file open: a create that would take the descriptors that
  // connections and existing partitions need is refused before anything is written.
  const auto partitions = static_cast<std::int64_t>(*spec.partition_count);
  if (const auto free = free_descriptors(); free && partitions + kDescriptorMargin > *free)
    throw ProxyError(ErrorKind::insufficient_storage,
                     "topic '" + name + "' needs " + std::to_string(partitions) + " open files and only " +
                         std::to_string(*free) + " are free under the open-file limit (raise it: LimitNOFILE, ulimit -n)");
  // Build the topic in staging/ and rename it into place: a crash leaves either no topic or a
  // complete topic.json, never a half-written one.
  const fs::path staging = staging_dir() / unique_name();
  fs::create_directories(staging);
  write_file_durably(staging / "topic.json", api::write_topic_spec(spec));
  sync_dir(staging);
  fs::rename(staging, topics_dir_ / name);
  sync_dir(topics_dir_);
  try {
    topics_[name] = open_topic(name);
  } catch (const std::exception& e) {
    // Its partitions cannot all be opened (out of descriptors, a full disk): the create is undone
    // whole, so that the name can be created again and no half topic is left on disk.
    std::error_code ignored;
    const fs::path doomed = trash_dir() / unique_name();
    fs::rename(topics_dir_ / name, doomed, ignored);
    fs::remove_all(doomed, ignored);
    sync_dir(topics_dir_);
    spdlog::error("embedded log: creating topic '{}' failed and was undone: {}", name, e.what());
    throw ProxyError(ErrorKind::insufficient_storage,
                     "topic '" + name + "' could not be created: its " + std::to_string(*spec.partition_count) +
                         " partitions could not all be opened (the proxy's log says why); nothing was created");
  }
}

void EmbeddedLog::delete_topic_now(const std::string& name) {
  fs::path doomed;
  {
    std::unique_lock lock(mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) throw ProxyError(ErrorKind::not_found, "topic '" + name + "' not found");
    doomed = trash_dir() / unique_name();
    fs::rename(topics_dir_ / name, doomed);
    sync_dir(topics_dir_);
    topics_.erase(it);
  }
  // Requests still holding the topic keep their open files; the space is freed when they finish.
  std::error_code ec;
  fs::remove_all(doomed, ec);
}

void EmbeddedLog::append_metrics(std::string& out) const {
  namespace m = krest::metrics;
  auto value = [](const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load()); };
  m::append_counter(out, "krest_proxy_log_fsyncs_total", "fdatasync calls on segment files.", value(metrics_.fsyncs));
  m::append_family(out, "krest_proxy_log_fsync_duration_seconds", "histogram", "Time each fdatasync took.");
  m::append_histogram(out, "krest_proxy_log_fsync_duration_seconds", "", metrics_.fsync_seconds.snapshot());
  m::append_counter(out, "krest_proxy_log_durable_waits_total",
                    "Produce requests acknowledged after a sync; above fsyncs_total when group commit shares syncs.",
                    value(metrics_.durable_waits));
  m::append_counter(out, "krest_proxy_log_segments_deleted_total", "Segments deleted by retention.",
                    value(metrics_.segments_deleted));
  m::append_counter(out, "krest_proxy_log_write_errors_total", "Appends that failed (nothing of them was kept).",
                    value(metrics_.write_errors));
  std::size_t partitions = 0, segments = 0;
  std::uint64_t bytes = 0;
  auto topics = snapshot();
  for (const auto& t : topics)
    for (const auto& p : t->partitions) {
      auto st = p->stats();
      ++partitions;
      segments += st.segments;
      bytes += st.bytes;
    }
  m::append_gauge(out, "krest_proxy_log_topics", "Topics in the embedded log.", static_cast<double>(topics.size()));
  m::append_gauge(out, "krest_proxy_log_partitions", "Partitions in the embedded log.",
                  static_cast<double>(partitions));
  m::append_gauge(out, "krest_proxy_log_segments", "Segment files in the embedded log.", static_cast<double>(segments));
  m::append_gauge(out, "krest_proxy_log_bytes", "Bytes of all segment files.", static_cast<double>(bytes));
}

std::vector<api::BrokerEndpoint> EmbeddedLog::brokers() const {
  return {api::BrokerEndpoint{options_.advertised_host, advertised_port_, 0, std::nullopt}};
}

api::PartitionMetadata EmbeddedLog::describe(const Topic& t, std::int32_t p) const {
  api::PartitionMetadata m;
  m.partition_id = p;
  m.earliest_offset = t.partitions[static_cast<std::size_t>(p)]->earliest_offset();
  m.latest_offset = t.partitions[static_cast<std::size_t>(p)]->next_offset();
  m.leader = brokers().front();
  m.replicas = {m.leader};
  m.isr = {m.leader};
  return m;
}

std::vector<api::PartitionMetadata> EmbeddedLog::partitions_now(const std::string& topic) const {
  auto t = find(topic);
  std::vector<api::PartitionMetadata> out;
  for (std::size_t p = 0; p < t->partitions.size(); ++p) out.push_back(describe(*t, static_cast<std::int32_t>(p)));
  return out;
}

api::PartitionMetadata EmbeddedLog::partition_now(const std::string& topic, std::int32_t p) const {
  auto t = find(topic);
  if (p < 0 || static_cast<std::size_t>(p) >= t->partitions.size())
    throw no_such_partition(topic, p, t->partitions.size());
  return describe(*t, p);
}

// Reads of metadata are page-cache reads: done in place. Creates and deletes write and sync files,
// a thousand partitions' worth at times, and run on a thread of their own so that no I/O thread
// (and none of the requests it serves) waits for them.
asio::awaitable<void> EmbeddedLog::create_topic(const std::string& name, const api::TopicSpec& spec) {
  co_await asio::co_spawn(
      admin_,
      [this, &name, &spec]() -> asio::awaitable<void> {
        create_topic_now(name, spec);
        co_return;
      },
      asio::use_awaitable);
}

asio::awaitable<void> EmbeddedLog::delete_topic(const std::string& name) {
  co_await asio::co_spawn(
      admin_,
      [this, &name]() -> asio::awaitable<void> {
        delete_topic_now(name);
        co_return;
      },
      asio::use_awaitable);
}

asio::awaitable<std::vector<api::PartitionMetadata>> EmbeddedLog::partitions(const std::string& topic) {
  co_return partitions_now(topic);
}

asio::awaitable<std::optional<std::map<std::string, std::string>>> EmbeddedLog::topic_properties(
    const std::string& topic) {
  co_return find(topic)->spec.properties;
}

asio::awaitable<api::PartitionMetadata> EmbeddedLog::partition(const std::string& topic, std::int32_t p) {
  co_return partition_now(topic, p);
}

asio::awaitable<std::vector<RecordPosition>> EmbeddedLog::produce(const std::string& topic,
                                                                  api::ProduceBody& body) {
  auto t = find(topic);
  const auto count = static_cast<std::int32_t>(t->partitions.size());
  const std::int32_t sticky = static_cast<std::int32_t>(t->sticky.fetch_add(1, std::memory_order_relaxed) % count);

  // Check every record before writing any: a request is stored whole or not at all.
  std::vector<RecordPosition> positions = place_records(topic, body, count, sticky);
  bool one_partition = true;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto& r = body.record(i);
    if (body.payload_bytes(r) > static_cast<std::size_t>(t->settings.max_message_bytes))
      throw ProxyError(ErrorKind::bad_request,
                       "records[" + std::to_string(i) + "] is " + std::to_string(body.payload_bytes(r)) +
                           " bytes; the topic's max.message.bytes is " + std::to_string(t->settings.max_message_bytes));
    one_partition = one_partition && positions[i].partition == positions[0].partition;
  }

  const std::int64_t ts = now_ms();
  std::vector<std::pair<std::shared_ptr<PartitionLog>, std::uint64_t>> marks;
  std::string frame;
  auto write_partition = [&](std::int32_t p) {
    FrameBuilder builder(frame);
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (positions[i].partition != p) continue;
      const auto& r = body.record(i);
      builder.add(r.has_key ? std::optional(body.key(r)) : std::nullopt, body.value(r));
    }
    if (builder.records() == 0) return;
    builder.seal();
    auto& log = t->partitions[static_cast<std::size_t>(p)];
    AppendResult res = log->append(frame, builder.records(), ts);
    std::int64_t next = res.base_offset;
    for (auto& pos : positions)
      if (pos.partition == p) pos.offset = next++;
    marks.emplace_back(log, res.mark);
  };
  if (one_partition) {
    if (!positions.empty()) write_partition(positions[0].partition);
  } else {
    for (std::int32_t p = 0; p < count; ++p) write_partition(p);
  }
  // Written: its memory (a copy of the body's records) goes now, not after the wait for the disk,
  // where it would sit uncounted beside the body max_body_memory_bytes counts.
  std::string().swap(frame);
  // So do the parsed records (another copy): a wait for fsync may be long, and many requests wait.
  std::string().swap(body.arena_);
  std::vector<api::ProduceRecord>().swap(body.records_);

  if (durability_.policy() == DurabilityPolicy::fsync) {
    for (auto& [log, mark] : marks) {
      auto [ec] = co_await durability_.async_wait(log, mark, asio::as_tuple(asio::use_awaitable));
      if (ec)
        throw ProxyError(ErrorKind::unavailable, "partition " + std::to_string(log->id()) +
                                                     " could not be synced to disk; the request is not acknowledged");
    }
  }
  co_return positions;
}

asio::awaitable<FetchResult> EmbeddedLog::fetch(const std::string& topic, const FetchRequest& request) {
  auto t = find(topic);
  if (request.partition < 0 || static_cast<std::size_t>(request.partition) >= t->partitions.size())
    throw no_such_partition(topic, request.partition, t->partitions.size());
  FetchResult out;
  t->partitions[static_cast<std::size_t>(request.partition)]->read(request, out);
  co_return out;
}

}  // namespace krest::proxy
