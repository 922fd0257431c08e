#include "cli/terminal_status.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace krest::cli {

TerminalStatus::TerminalStatus(const std::string& enabled)
    : enabled_(enabled == "always" || (enabled == "auto" && ::isatty(2))) {}

namespace {

// The terminal's width in columns (asked each time: the window may be resized), 80 when unknown.
std::size_t terminal_columns() {
  winsize size{};
  if (::ioctl(2, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

void TerminalStatus::show(const std::string& line) {
  if (!enabled_) return;
  // One column short of the width: a line that reaches the last column wraps on some terminals, and
  // a wrapped status is a new line on every update.
  std::string text = line;
  const std::size_t width = terminal_columns();
  if (text.size() >= width) text.resize(width > 1 ? width - 1 : 0);
  // Carriage return, then erase to the end of the line: the previous status goes, whatever its length.
  std::fprintf(stderr, "\r%s\033[K", text.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void TerminalStatus::clear() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

std::string clock_duration(double seconds) {
  auto s = static_cast<std::uint64_t>(seconds < 0 ? 0 : seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
  else
    std::snprintf(text, sizeof text, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  return text;
}

}  // namespace krest::cli
