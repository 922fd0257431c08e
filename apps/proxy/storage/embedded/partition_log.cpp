#include "storage/embedded/partition_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "proxy_error.hpp"
#include "storage/embedded/record_frame.hpp"

namespace krest::proxy {
namespace fs = std::filesystem;
namespace {

// A sparse index entry every this many bytes keeps lookups short without an entry per frame.
constexpr std::uint64_t kIndexSpacing = 4096;
constexpr std::size_t kScanBuffer = 4 << 20;

std::string segment_name(std::int64_t base_offset) {
  char name[32];
  std::snprintf(name, sizeof name, "%020lld.log", static_cast<long long>(base_offset));
  return name;
}

// "00000000000000001234.log" -> 1234; anything else (temporary files, stray copies) -> nothing.
std::optional<std::int64_t> segment_base(const std::string& name) {
  if (name.size() != 24 || !name.ends_with(".log")) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, v);
  if (ec != std::errc{} || end != name.data() + 20 || v < 0) return std::nullopt;
  return v;
}

bool pread_full(int fd, char* buf, std::size_t n, std::uint64_t pos) {
  while (n > 0) {
    ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(pos));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<std::size_t>(r);
    pos += static_cast<std::uint64_t>(r);
  }
  return true;
}

// Returns 0 or the errno of the failed write.
int pwrite_full(int fd, const char* buf, std::size_t n, std::uint64_t pos) {
  while (n > 0) {
    ssize_t r = ::pwrite(fd, buf, n, static_cast<off_t>(pos));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno;
    if (r == 0) return EIO;
    buf += r;
    n -= static_cast<std::size_t>(r);
    pos += static_cast<std::uint64_t>(r);
  }
  return 0;
}

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

struct PartitionLog::Segment {
  fs::path path;
  int fd = -1;
  std::int64_t base_offset = 0;
  std::int64_t next_offset = 0;
  std::uint64_t size = 0;
  std::int64_t max_timestamp = -1;
  std::vector<IndexEntry> index;

  ~Segment() {
    if (fd >= 0) ::close(fd);
  }
};

PartitionLog::PartitionLog(fs::path dir, std::int32_t id, LogSettings settings)
    : dir_(std::move(dir)), id_(id), settings_(settings) {}

PartitionLog::~PartitionLog() = default;

std::unique_ptr<PartitionLog> PartitionLog::open(fs::path dir, std::int32_t id, LogSettings settings) {
  std::unique_ptr<PartitionLog> log(new PartitionLog(std::move(dir), id, settings));
  log->recover();
  return log;
}

std::shared_ptr<PartitionLog::Segment> PartitionLog::open_segment(std::int64_t base_offset, bool create) {
  auto s = std::make_shared<Segment>();
  s->path = dir_ / segment_name(base_offset);
  s->base_offset = base_offset;
  s->next_offset = base_offset;
  s->fd = ::open(s->path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
  if (s->fd < 0) {
    int err = errno;
    throw ProxyError(err == ENOSPC || err == EDQUOT ? ErrorKind::insufficient_storage : ErrorKind::internal,
                     "cannot open segment " + s->path.string() + ": " + std::strerror(err));
  }
  return s;
}

void PartitionLog::recover() {
  fs::create_directories(dir_);
  std::vector<std::int64_t> bases;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (auto base = segment_base(entry.path().filename().string()); base && entry.is_regular_file())
      bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  if (bases.empty()) {
    segments_.push_back(open_segment(0, true));
    if (settings_.sync_directories) sync_directory(dir_);
  }
  for (std::size_t i = 0; i < bases.size(); ++i) {
    auto s = open_segment(bases[i], false);
    scan_segment(*s, i + 1 == bases.size());
    if (!segments_.empty() && segments_.back()->next_offset != s->base_offset)
      throw std::runtime_error(s->path.string() + " starts at offset " + std::to_string(s->base_offset) +
                               " but the segment before it ends at " + std::to_string(segments_.back()->next_offset) +
                               ": the log has a gap");
    segments_.push_back(std::move(s));
  }
  next_offset_ = segments_.back()->next_offset;
}

void PartitionLog::scan_segment(Segment& s, bool last) {
  struct stat st {};
  if (::fstat(s.fd, &st) != 0) throw std::runtime_error("cannot stat " + s.path.string());
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  std::vector<char> buf(kScanBuffer);
  std::uint64_t buf_start = 0, buf_len = 0;
  // Returns the bytes [pos, pos+n) of the file, read through a large buffer.
  auto view = [&](std::uint64_t pos, std::size_t n) -> const char* {
    if (pos >= buf_start && pos + n <= buf_start + buf_len) return buf.data() + (pos - buf_start);
    if (pos + n > file_size) return nullptr;
    if (n > buf.size()) buf.resize(n);
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), file_size - pos));
    if (!pread_full(s.fd, buf.data(), want, pos)) return nullptr;
    buf_start = pos;
    buf_len = want;
    return buf.data();
  };

  std::uint64_t pos = 0;
  std::int64_t expected = s.base_offset;
  const char* damage = nullptr;
  while (pos < file_size) {
    const char* hb = view(pos, kFrameHeaderBytes);
    if (!hb) {
      damage = "an incomplete frame header";
      break;
    }
    if (other_frame_version(hb))
      throw std::runtime_error(s.path.string() + " holds frames of another krest-proxy storage format (" +
                               std::string(hb, 4) + " at byte " + std::to_string(pos) +
                               "); it was not changed. Run the krest-proxy version that wrote it.");
    auto h = decode_header(hb);
    if (!h) {
      damage = "a frame header with a bad checksum";
      break;
    }
    if (h->base_offset != expected) {
      damage = "a frame at an unexpected offset";
      break;
    }
    if (pos + kFrameHeaderBytes + h->payload_len > file_size) {
      damage = "an incomplete frame";
      break;
    }
    // Only the last segment can hold a torn write (kill -9 or a crash stops the one writer);
    // older segments were complete when the log rolled past them, so their headers suffice.
    if (last) {
      const char* payload = view(pos + kFrameHeaderBytes, h->payload_len);
      if (!payload || !payload_intact(*h, payload)) {
        damage = "a frame whose records fail their checksum";
        break;
      }
    }
    if (s.index.empty() || pos - s.index.back().pos >= kIndexSpacing) s.index.push_back({h->base_offset, pos});
    expected += h->record_count;
    s.max_timestamp = std::max(s.max_timestamp, h->timestamp_ms);
    pos += kFrameHeaderBytes + h->payload_len;
  }
  s.size = pos;
  s.next_offset = expected;
  if (!damage) return;
  if (!last)
    throw std::runtime_error(s.path.string() + " is damaged at byte " + std::to_string(pos) + " (" + damage +
                             "); it is not the newest segment, so this is not a torn write: "
                             "restore the file or move it away to start without it");
  if (::ftruncate(s.fd, static_cast<off_t>(pos)) != 0 || ::fsync(s.fd) != 0)
    throw std::runtime_error("cannot cut the torn tail of " + s.path.string() + ": " + std::strerror(errno));
  spdlog::warn("recovery: cut {} bytes of an unfinished write from the end of {} ({}); offsets up to {} are intact",
               file_size - pos, s.path.string(), damage, expected - 1);
}

AppendResult PartitionLog::append(std::string& frame, std::uint32_t records, std::int64_t timestamp_ms) {
  std::unique_lock lock(mu_);
  if (failed_.load())
    throw ProxyError(ErrorKind::unavailable, "partition " + std::to_string(id_) +
                                                 " had a disk error and accepts no writes until krest-proxy restarts");
  if (segments_.back()->size > 0 &&
      segments_.back()->size + frame.size() > static_cast<std::uint64_t>(settings_.segment_bytes))
    roll();
  Segment& s = *segments_.back();
  const std::int64_t base = next_offset_;
  stamp_frame(frame, base, timestamp_ms);
  if (int err = pwrite_full(s.fd, frame.data(), frame.size(), s.size)) {
    if (settings_.metrics) ++settings_.metrics->write_errors;
    // Cut whatever part of the frame reached the file so the next append starts on a frame boundary.
    if (::ftruncate(s.fd, static_cast<off_t>(s.size)) != 0) failed_ = true;
    // EFBIG: the file size limit (ulimit -f) is reached, which is a full disk for this file.
    if (err == ENOSPC || err == EDQUOT || err == EFBIG)
      throw ProxyError(ErrorKind::insufficient_storage,
                       "no space left in the data directory; nothing of this request was stored");
    throw ProxyError(ErrorKind::internal, std::string("writing the log failed: ") + std::strerror(err));
  }
  if (s.index.empty() || s.size - s.index.back().pos >= kIndexSpacing) s.index.push_back({base, s.size});
  s.size += frame.size();
  s.next_offset = base + records;
  s.max_timestamp = std::max(s.max_timestamp, timestamp_ms);
  next_offset_ = s.next_offset;
  written_mark_ += frame.size();
  return {base, written_mark_};
}

void PartitionLog::roll() {
  auto next = open_segment(next_offset_, true);
  if (settings_.sync_directories) sync_directory(dir_);
  if (settings_.track_unsynced) unsynced_.push_back(segments_.back());
  segments_.push_back(std::move(next));
}

void PartitionLog::read(const FetchRequest& request, FetchResult& out) const {
  std::int64_t offset = request.offset;
  std::vector<std::pair<std::shared_ptr<Segment>, std::uint64_t>> plan;  // segment, size seen
  std::uint64_t start_pos = 0;
  out.next_offset = request.offset;
  {
    std::shared_lock lock(mu_);
    offset = std::max(offset, segments_.front()->base_offset);
    if (offset >= next_offset_) return;
    auto seg = std::upper_bound(segments_.begin(), segments_.end(), offset,
                                [](std::int64_t o, const auto& s) { return o < s->base_offset; });
    --seg;
    const auto& index = (*seg)->index;
    auto entry = std::upper_bound(index.begin(), index.end(), offset,
                                  [](std::int64_t o, const IndexEntry& e) { return o < e.offset; });
    start_pos = entry == index.begin() ? 0 : std::prev(entry)->pos;
    for (; seg != segments_.end(); ++seg) plan.emplace_back(*seg, (*seg)->size);
  }
  out.records.reserve(std::min<std::size_t>(request.max_records, 1024));
  bool done = false;
  for (std::size_t i = 0; i < plan.size() && !done; ++i)
    read_segment(*plan[i].first, i == 0 ? start_pos : 0, plan[i].second, request, offset, out, done);
  if (!out.records.empty()) out.next_offset = out.records.back().offset + 1;
}

void PartitionLog::read_segment(const Segment& s, std::uint64_t pos, std::uint64_t end, const FetchRequest& request,
                                std::int64_t& offset, FetchResult& out, bool& done) const {
  char hb[kFrameHeaderBytes];
  while (pos + kFrameHeaderBytes <= end) {
    if (!pread_full(s.fd, hb, sizeof hb, pos))
      throw ProxyError(ErrorKind::internal, "reading " + s.path.string() + " failed: " + std::strerror(errno));
    auto h = decode_header(hb);
    if (!h)
      throw ProxyError(ErrorKind::internal, s.path.string() + " has a damaged frame at byte " + std::to_string(pos));
    const std::uint64_t frame_end = pos + kFrameHeaderBytes + h->payload_len;
    if (h->base_offset + h->record_count <= offset) {
      pos = frame_end;
      continue;
    }
    const std::size_t at = out.data.size();
    out.data.resize(at + h->payload_len);
    if (!pread_full(s.fd, out.data.data() + at, h->payload_len, pos + kFrameHeaderBytes))
      throw ProxyError(ErrorKind::internal, "reading " + s.path.string() + " failed: " + std::strerror(errno));
    PayloadReader reader(out.data.data() + at, h->payload_len);
    PayloadReader::Entry e;
    for (std::int64_t o = h->base_offset; reader.next(e); ++o) {
      if (o < offset) continue;
      const std::size_t bytes = static_cast<std::size_t>(std::max(e.key_len, 0)) + e.value_len;
      if (!out.records.empty() && request.max_bytes && out.bytes + bytes > request.max_bytes) {
        done = true;
        return;
      }
      out.records.push_back({o, h->timestamp_ms, e.key_len, static_cast<std::uint32_t>(e.key - out.data.data()),
                             static_cast<std::uint32_t>(e.value - out.data.data()), e.value_len,
                             (h->flags & kFramePlainJson) != 0});
      out.bytes += bytes;
      offset = o + 1;
      if (out.records.size() >= request.max_records) {
        done = true;
        return;
      }
    }
    pos = frame_end;
  }
}

std::int64_t PartitionLog::earliest_offset() const {
  std::shared_lock lock(mu_);
  return segments_.front()->base_offset;
}

std::int64_t PartitionLog::next_offset() const {
  std::shared_lock lock(mu_);
  return next_offset_;
}

std::uint64_t PartitionLog::written_mark() const {
  std::shared_lock lock(mu_);
  return written_mark_;
}

bool PartitionLog::sync() {
  std::lock_guard sync_lock(sync_mu_);
  if (failed_.load()) return false;
  std::vector<std::shared_ptr<Segment>> todo;
  std::uint64_t mark = 0;
  {
    std::unique_lock lock(mu_);
    mark = written_mark_;
    if (mark == synced_mark_.load()) return true;
    todo.swap(unsynced_);
    todo.push_back(segments_.back());
  }
  for (const auto& s : todo) {
    const auto started = std::chrono::steady_clock::now();
    const int rc = ::fdatasync(s->fd);
    if (settings_.metrics) {
      ++settings_.metrics->fsyncs;
      settings_.metrics->fsync_seconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (rc != 0) {
      spdlog::error("fdatasync of {} failed: {}; partition {} stops accepting writes", s->path.string(),
                    std::strerror(errno), id_);
      failed_ = true;
      return false;
    }
  }
  synced_mark_.store(mark, std::memory_order_release);
  return true;
}

void PartitionLog::enforce_retention(std::int64_t now_ms) {
  std::unique_lock lock(mu_);
  auto drop_front = [&] {
    auto s = segments_.front();
    segments_.pop_front();
    if (settings_.metrics) ++settings_.metrics->segments_deleted;
    if (::unlink(s->path.c_str()) != 0)
      spdlog::warn("retention: cannot delete {}: {}", s->path.string(), std::strerror(errno));
  };
  if (settings_.retention_ms >= 0) {
    const std::int64_t cutoff = now_ms - settings_.retention_ms;
    if (segments_.back()->size > 0 && segments_.back()->max_timestamp < cutoff) roll();
    while (segments_.size() > 1 && segments_.front()->max_timestamp < cutoff) drop_front();
  }
  if (settings_.retention_bytes >= 0) {
    std::uint64_t total = 0;
    for (const auto& s : segments_) total += s->size;
    // Kafka's rule: drop the oldest segment while what remains still holds retention.bytes.
    while (segments_.size() > 1 &&
           total - segments_.front()->size >= static_cast<std::uint64_t>(settings_.retention_bytes)) {
      total -= segments_.front()->size;
      drop_front();
    }
  }
}

void PartitionLog::update_settings(const LogSettings& settings) {
  std::unique_lock lock(mu_);
  settings_ = settings;
}

PartitionLog::Stats PartitionLog::stats() const {
  std::shared_lock lock(mu_);
  Stats st{segments_.size(), 0};
  for (const auto& s : segments_) st.bytes += s->size;
  return st;
}

}  // namespace krest::proxy
