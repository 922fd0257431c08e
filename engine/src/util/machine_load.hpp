#pragma once
// How busy this machine's CPUs have been, from /proc/stat: the share of CPU time spent idle since
// the previous reading. Whether compressing would take CPU that something else needs (a proxy on
// the same machine, the application) or CPU that sits idle while the link is the wait.
#include <chrono>
#include <cstdint>
#include <optional>

namespace krest::util {

class MachineLoad {
 public:
  // The idle share of all CPUs since the last call that returned one, if at least `every` has
  // passed (nothing otherwise, and nothing where /proc/stat cannot be read).
  std::optional<double> idle_share(std::chrono::steady_clock::time_point now,
                                   std::chrono::milliseconds every = std::chrono::milliseconds(100));

 private:
  std::chrono::steady_clock::time_point read_at_{};
  std::uint64_t idle_ = 0, total_ = 0;
  bool unreadable_ = false;
};

}  // namespace krest::util
