#pragma once
// One partition of the embedded log: a directory of segment files named by their first offset
// (00000000000000000000.log, ...), each a sequence of frames (record_frame.hpp).
//
// Thread-safety: append, read, sync and retention may run concurrently from any thread. Appends
// are serialised by the lock; a read looks its position up under the lock and then reads the file
// outside it, only up to the size it saw, so bytes it reads are never being written.
#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "storage/embedded/log_metrics.hpp"
#include "storage/storage.hpp"

namespace krest::proxy {

struct LogSettings {
  std::int64_t segment_bytes = 128LL << 20;
  std::int64_t retention_ms = -1;     // -1: keep forever
  std::int64_t retention_bytes = -1;  // -1: no size limit
  bool track_unsynced = true;         // false when nothing ever syncs (durability=none)
  bool sync_directories = true;       // fsync directory entries of new segments
  LogMetrics* metrics = nullptr;      // not owned; counters of the whole log
};

struct AppendResult {
  std::int64_t base_offset;
  std::uint64_t mark;  // position in the partition's byte stream; durable once synced_mark() >= mark
};

class PartitionLog {
 public:
  // Opens (creating if needed) and recovers the partition: the torn tail of the last segment is cut
  // off; damage anywhere else stops start-up with an error naming the file and position.
  static std::unique_ptr<PartitionLog> open(std::filesystem::path dir, std::int32_t id, LogSettings settings);
  ~PartitionLog();

  std::int32_t id() const { return id_; }

  // Appends a sealed frame (FrameBuilder) of `records` records. Throws ProxyError on I/O failure,
  // after cutting off any partial write so the log stays valid.
  AppendResult append(std::string& frame, std::uint32_t records, std::int64_t timestamp_ms);

  void read(const FetchRequest& request, FetchResult& out) const;

  std::int64_t earliest_offset() const;
  std::int64_t next_offset() const;

  // Makes everything appended so far durable. Returns false (and keeps failing afterwards) if the
  // disk reported an error: after a failed fsync the page cache cannot be trusted.
  bool sync();
  std::uint64_t synced_mark() const { return synced_mark_.load(std::memory_order_acquire); }
  std::uint64_t written_mark() const;

  // Deletes old segments by the retention settings; rolls the active segment once all of it has
  // expired, so that time-based retention also reaches the newest data.
  void enforce_retention(std::int64_t now_ms);
  void update_settings(const LogSettings& settings);

  struct Stats {
    std::size_t segments;
    std::uint64_t bytes;
  };
  Stats stats() const;

 private:
  struct Segment;
  struct IndexEntry {
    std::int64_t offset;
    std::uint64_t pos;
  };
  PartitionLog(std::filesystem::path dir, std::int32_t id, LogSettings settings);

  void recover();
  std::shared_ptr<Segment> open_segment(std::int64_t base_offset, bool create);
  void scan_segment(Segment& s, bool last);
  void roll();  // requires the unique lock
  void read_segment(const Segment& s, std::uint64_t from_pos, std::uint64_t end_pos, const FetchRequest& request,
                    std::int64_t& offset, FetchResult& out, bool& done) const;

  std::filesystem::path dir_;
  std::int32_t id_;
  LogSettings settings_;

  mutable std::shared_mutex mu_;
  std::deque<std::shared_ptr<Segment>> segments_;   // guarded by mu_; never empty after open
  std::vector<std::shared_ptr<Segment>> unsynced_;  // rolled segments awaiting sync; guarded by mu_
  std::int64_t next_offset_ = 0;                    // guarded by mu_
  std::uint64_t written_mark_ = 0;                  // guarded by mu_
  std::atomic<std::uint64_t> synced_mark_{0};
  std::atomic<bool> failed_{false};
  std::mutex sync_mu_;  // one sync at a time
};

}  // namespace krest::proxy
