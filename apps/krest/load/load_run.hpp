#pragma once
// What one `krest load` shares between its read loop, its delivery callbacks and its ticker: the
// records in flight, the reject file, the totals, the status line and the checkpoint.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/atomic_file.hpp"
#include "cli/terminal_status.hpp"
#include "krest/error.hpp"
#include "krest/producer.hpp"
#include "load/line_reader.hpp"
#include "load/load_checkpoint.hpp"
#include "load/load_command.hpp"
#include "load/reject_file.hpp"

namespace krest::cli {

inline std::string display_name(const std::string& input) { return input == "-" ? "stdin" : input; }

// A refusal that is about the load, not the record: no token, no access, the topic gone, the
// proxy's disk full.
inline bool refuses_every_record(const Error& e) {
  return e.kind() == Error::Kind::token || e.status() == 401 || e.status() == 403 || e.status() == 404 ||
         e.status() == 507;
}

// Everything one load shares between its read loop, its delivery callbacks and its ticker.
class LoadRun {
 public:
  LoadRun(const LoadOptions& o, boost::asio::any_io_executor ex, bool resuming)
      : options(o), rejects(o.reject_file, resuming), status(o.progress), ticker(std::move(ex)) {}

  const LoadOptions& options;
  LoadCheckpoint base;  // the checkpoint this run resumes from (or a fresh one)
  AckWindow window;
  RejectFile rejects;
  TerminalStatus status;
  boost::asio::steady_timer ticker;
  InputPosition read_position;
  const LineReader* reader = nullptr;  // the input being read, for progress
  std::vector<std::uint64_t> sizes;         // of each input file, 0 when unknown (stdin)
  std::vector<std::uint64_t> uncompressed;  // of each input read to its end
  std::uint64_t total_bytes = 0;            // 0 when unknown (stdin)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool stopping = false;  // interrupted, or a reject could not be written
  bool finished = false;
  std::string fatal;

  std::uint64_t acknowledged = 0;
  std::uint64_t acknowledged_bytes = 0;
  std::uint64_t refused = 0;  // by the proxy (after retries)
  std::uint64_t invalid = 0;  // lines that could not be records

  void reject(std::size_t file, std::uint64_t line, std::string_view error, std::string_view input) {
    rejects.write(display_name(options.inputs[file]), line, error, input);
  }
  void reject_too_long(std::size_t file, std::uint64_t line, std::uint64_t bytes, std::string_view prefix) {
    rejects.write_too_long(display_name(options.inputs[file]), line, bytes,
                           static_cast<std::uint64_t>(options.max_line_bytes), prefix);
  }

  void delivered(std::uint64_t seq, const Delivery& d) {
    const std::string_view line = window.line(seq);
    if (d.ok()) {
      ++acknowledged;
      acknowledged_bytes += line.size();
    } else {
      try {
        const InputPosition& start = window.start(seq);
        reject(start.file, start.line + 1, d.error->what(), line);
        ++refused;
        if (refuses_every_record(*d.error) && !stopping) {
          // Reading on would only fill the reject file: what was sent gets its result, then the load ends.
          fatal = std::string("stopped: ") + d.error->what();
          stopping = true;
        }
      } catch (const std::exception& e) {
        // Left unresolved, so no checkpoint passes a record that is neither stored nor recorded.
        fatal = e.what();
        stopping = true;
        return;
      }
    }
    window.resolve(seq);
  }

  InputPosition resume_position() const { return window.oldest_unresolved().value_or(read_position); }

  void save_checkpoint(bool complete) {
    if (options.checkpoint.empty()) return;
    rejects.sync();
    LoadCheckpoint c = base;
    c.next = resume_position();
    c.complete = complete;
    c.acknowledged = base.acknowledged + acknowledged;
    c.rejected = base.rejected + refused + invalid;
    write_file_atomically(options.checkpoint, to_json(c));
  }

  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); }

  // How much of the input is behind the oldest record still waiting for its result, by the files'
  // sizes on disk (a gzip file's position in its uncompressed text scaled by how far it was read).
  std::optional<double> done_fraction() const {
    if (total_bytes == 0) return std::nullopt;
    const InputPosition at = resume_position();
    double done = 0;
    for (std::size_t i = 0; i < at.file && i < sizes.size(); ++i) done += static_cast<double>(sizes[i]);
    if (at.file < sizes.size() && at.offset > 0) {
      double disk_per_byte = 1;
      if (uncompressed[at.file] > 0)
        disk_per_byte = static_cast<double>(sizes[at.file]) / static_cast<double>(uncompressed[at.file]);
      else if (reader && reader->compressed() && reader->offset() + reader->buffered() > 0)
        disk_per_byte = static_cast<double>(reader->compressed_offset()) /
                        static_cast<double>(reader->offset() + reader->buffered());
      done += std::min(static_cast<double>(sizes[at.file]), static_cast<double>(at.offset) * disk_per_byte);
    }
    return std::min(1.0, done / static_cast<double>(total_bytes));
  }

  std::string status_line() const {
    double s = seconds();
    auto rate = s > 0 ? static_cast<std::uint64_t>(static_cast<double>(acknowledged) / s) : 0;
    std::string line = "loading '" + options.topic + "': " + with_thousands(acknowledged) + " records  " +
                       megabytes(acknowledged_bytes) + "  " + with_thousands(rate) + " records/s";
    if (auto done = done_fraction()) {
      char percent[16];
      std::snprintf(percent, sizeof percent, "  %.0f%%", *done * 100);
      line += percent;
      if (*done > 0.001) line += "  ETA " + clock_duration(s / *done - s);
    }
    if (refused + invalid > 0) line += "  " + with_thousands(refused + invalid) + " rejected";
    return line;
  }
};

// Redraws the status line and saves the checkpoint while the load runs.
inline boost::asio::awaitable<void> tick(std::shared_ptr<LoadRun> run) {
  auto last_save = std::chrono::steady_clock::now();
  while (!run->finished) {
    run->ticker.expires_after(std::chrono::milliseconds(250));
    co_await run->ticker.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (run->finished) break;
    run->status.show(run->status_line());
    if (std::chrono::steady_clock::now() - last_save >= std::chrono::seconds(1)) {
      last_save = std::chrono::steady_clock::now();
      try {
        run->save_checkpoint(false);
      } catch (const std::exception& e) {
        run->fatal = e.what();
        run->stopping = true;
      }
    }
  }
}

}  // namespace krest::cli
