#include "util/machine_load.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>

namespace krest::util {

std::optional<double> MachineLoad::idle_share(std::chrono::steady_clock::time_point now,
                                              std::chrono::milliseconds every) {
  if (unreadable_ || (read_at_ != std::chrono::steady_clock::time_point{} && now - read_at_ < every))
    return std::nullopt;
  // The first line: "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks.
  std::FILE* f = std::fopen("/proc/stat", "r");
  unsigned long long v[8] = {};
  const int got = f ? std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                                  &v[5], &v[6], &v[7])
                    : 0;
  if (f) std::fclose(f);
  if (got < 4) {
    unreadable_ = true;
    return std::nullopt;
  }
  std::uint64_t total = 0;
  for (auto x : v) total += x;
  const std::uint64_t idle = v[3] + v[4];  // idle and iowait
  const bool first = read_at_ == std::chrono::steady_clock::time_point{};
  const std::uint64_t d_total = total - total_, d_idle = idle - idle_;
  read_at_ = now;
  total_ = total;
  idle_ = idle;
  if (first || d_total == 0) return std::nullopt;
  return static_cast<double>(d_idle) / static_cast<double>(d_total);
}

std::optional<double> thread_busy_share(std::chrono::steady_clock::time_point now) {
  struct Baseline {
    std::chrono::steady_clock::time_point at{};
    std::chrono::nanoseconds cpu{};
  };
  thread_local Baseline last;
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return std::nullopt;
  const auto cpu = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  const Baseline before = last;
  last = {now, cpu};
  // A baseline a second old (another client's on this thread, long ago) says nothing of now.
  if (before.at == std::chrono::steady_clock::time_point{} || now <= before.at ||
      now - before.at > std::chrono::seconds(1))
    return std::nullopt;
  return std::min(1.0, std::chrono::duration<double>(cpu - before.cpu) / (now - before.at));
}

}  // namespace krest::util
