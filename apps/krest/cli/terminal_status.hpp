#pragma once
// A one-line status that rewrites itself on a terminal (stderr) and stays silent when stderr is a
// pipe or a file, plus the number formats the status lines and summaries share.
#include <cstdint>
#include <string>

namespace krest::cli {

class TerminalStatus {
 public:
  // `enabled`: "auto" (a terminal), "always" or "never".
  explicit TerminalStatus(const std::string& enabled = "auto");
  bool enabled() const { return enabled_; }
  void show(const std::string& line);  // replaces the line shown
  void clear();                         // removes it, before other output to stderr
 private:
  bool enabled_;
  bool shown_ = false;
};

std::string with_thousands(std::uint64_t n);       // 1234567 -> "1,234,567"
std::string megabytes(std::uint64_t bytes);         // "118.2 MB" (10^6 bytes)
std::string clock_duration(double seconds);         // "0:12", "1:02:03"

}  // namespace krest::cli
