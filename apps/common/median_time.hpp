#pragma once
// For tables that forget their least recently used half when full: the median of the entries' times.
#include <algorithm>
#include <cstddef>
#include <vector>

namespace krest {

// The median of time_of(value) over a non-empty map's entries.
template <class Map, class TimeOf>
auto median_time(const Map& entries, TimeOf time_of) {
  std::vector<decltype(time_of(entries.begin()->second))> times;
  times.reserve(entries.size());
  for (const auto& entry : entries) times.push_back(time_of(entry.second));
  auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), middle, times.end());
  return *middle;
}

}  // namespace krest
