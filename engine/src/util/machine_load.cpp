#include "util/machine_load.hpp"

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

}  // namespace krest::util
