#pragma once
// One `krest bench` run: `in_flight` request loops against one proxy, each request timed from the
// moment it was meant to be sent. With a fixed rate that is its slot in the schedule, not the moment
// a loop got round to it, so a stalled server shows in the latencies of every request it delayed
// (no coordinated omission).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_result.hpp"
#include "krest/client.hpp"

namespace krest::cli {

struct BenchOptions {
  std::string mode;  // produce | consume | mixed | end-to-end (compare and merge measure nothing)
  std::string topic;
  std::int64_t records = 0;      // stop after this many records; 0: after duration_s
  double duration_s = 10;
  std::int64_t record_size = 100;
  std::int64_t record_size_max = 0;  // sizes drawn evenly from [record_size, record_size_max]; 0: all record_size
  std::int64_t keys = 0;             // records keyed by one of this many keys, in turn; 0: no keys
  std::int64_t ratio_produce = 1, ratio_consume = 1;  // mixed: produce and consume requests, in turn
  std::chrono::milliseconds poll_max{2000};  // end-to-end: the tailing consumer's longest wait at the end
  std::string sample_file;        // values from its lines, in turn, instead of generated ones
  std::int64_t batch = 500;       // records per request
  std::int64_t in_flight = 8;     // requests at once
  std::int32_t partitions = 0;    // create the topic with this many partitions when it is missing
  double rate = 0;                // requests per second, fixed; 0: as fast as the proxy answers
  bool json = false;
  std::string report;             // an HTML report file
  std::string hlog;               // an HdrHistogram interval log file
  std::optional<std::chrono::system_clock::time_point> start_at;  // the first request not before
  std::vector<std::string> files;  // compare and merge: the --json results to read
  bool find_max = false;           // steps of fixed rates for the highest that keeps `slo`
  std::string slo;                 // "p99=50ms"
  std::string progress = "auto";
};

// Runs the benchmark on the client's executor; `on_tick` is called about 4 times a second with the
// result so far. Throws Error or UsageError for what stops it before it starts.
boost::asio::awaitable<BenchResult> run_bench(Client& client, const BenchOptions& options,
                                              const std::function<void(const BenchResult&, double)>& on_tick,
                                              const bool& stop);

}  // namespace krest::cli
