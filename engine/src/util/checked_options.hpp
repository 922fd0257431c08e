#pragma once
// Options structs are validated where they are taken: every problem at once, each naming its field.
#include <stdexcept>
#include <string>
#include <utility>

namespace krest::util {

// `options` when validate(options) finds nothing; otherwise throws std::invalid_argument listing
// the problems under "invalid <what> options:".
template <class Options>
Options checked(Options options, const char* what) {
  const auto problems = validate(options);
  if (!problems.empty()) {
    std::string text = std::string("invalid ") + what + " options:";
    for (const auto& p : problems) text += "\n  " + p;
    throw std::invalid_argument(text);
  }
  return options;
}

}  // namespace krest::util
