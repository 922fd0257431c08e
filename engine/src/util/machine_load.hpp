#pragma once
// How busy this machine's CPUs have been, from /proc/stat: the share of CPU time spent idle since
// the previous reading. Whether compressing would take CPU that something else needs (a proxy on
// the same machine, the application) or CPU that sits idle while the link is the wait. And how
// busy the calling thread has been: the one that runs a client's exchanges would do the compressing.
#include <chrono>
#include <cstdint>
#include <optional>

namespace krest::util {

class MachineLoad {
 public:
  // The idle share of all CPUs since the last reading, if at least `every` has passed (nothing
  // otherwise, and nothing where /proc/stat cannot be read); the first call reads the baseline.
  // Every 30 ms by default: a load's first request bodies cross within tens of milliseconds, and
  // whether to compress them waits for a value. Read every 100 ms from the first answer on, a
  // load at 2 ms / 100 Mbit/s sent ~90 bodies uncompressed before one came, and that first value,
  // taken while the connections opened, went on judging bodies for a tenth of a second more.
  // (/proc/stat counts 10 ms ticks per CPU: 6 in 30 ms on two CPUs, coarse but enough for the
  // 40% that spare CPU means.)
  std::optional<double> idle_share(std::chrono::steady_clock::time_point now,
                                   std::chrono::milliseconds every = std::chrono::milliseconds(30));

 private:
  std::chrono::steady_clock::time_point read_at_{};
  std::uint64_t idle_ = 0, total_ = 0;
  bool unreadable_ = false;
};

// The share of the time since this thread's previous call that it spent on a CPU
// (CLOCK_THREAD_CPUTIME_ID); nothing on a thread's first call, more than a second after its
// previous one, or where the clock cannot be read.
// A thread's own: the threads of an io_context each keep their baseline.
std::optional<double> thread_busy_share(std::chrono::steady_clock::time_point now);

}  // namespace krest::util
