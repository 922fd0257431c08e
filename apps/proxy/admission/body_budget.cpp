#include "admission/body_budget.hpp"

#include <unistd.h>

#include <algorithm>

namespace krest::proxy {

std::uint64_t body_memory_bound(std::int64_t configured) {
  if (configured > 0) return static_cast<std::uint64_t>(configured);
  constexpr std::uint64_t kGiB = 1ULL << 30;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return kGiB;
  return std::min(kGiB, static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 4);
}

}  // namespace krest::proxy
