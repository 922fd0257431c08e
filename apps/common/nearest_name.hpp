#pragma once
// The name a mistyped one was most likely meant to be: for "did you mean" in usage errors.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krest {

// Edits (insert, delete, replace, or swap two neighbours) that turn `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate fewest edits from `typed`, if it is close enough to be a slip of the fingers: one
// edit for names up to 4 characters, two for longer ones, and never the whole name (so "-x" does
// not suggest "-o"). Nothing when two candidates are equally close: a guess would be a coin toss.
std::optional<std::string> nearest_name(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace krest
