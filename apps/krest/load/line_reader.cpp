#include "load/line_reader.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

#include "cli/usage_error.hpp"

namespace krest::cli {
namespace {

constexpr std::size_t kChunk = 1 << 20;

gzFile as_gz(void* f) { return static_cast<gzFile>(f); }

}  // namespace

// Removes a UTF-8 character that a cut at the end of `text` left incomplete.
void drop_split_character(std::string& text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t continuation = 0;
  while (continuation < 3 && continuation < text.size() && (byte(text.size() - 1 - continuation) & 0xC0) == 0x80)
    ++continuation;
  if (continuation == text.size()) return;
  std::size_t lead_at = text.size() - 1 - continuation;
  unsigned char lead = byte(lead_at);
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (length > continuation + 1) text.resize(lead_at);
}

LineReader::LineReader(const std::string& path, std::size_t max_line_bytes)
    : path_(path == "-" ? "stdin" : path), max_line_(max_line_bytes) {
  int fd = path == "-" ? ::dup(0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UsageError("cannot open '" + path + "': " + std::strerror(errno));
  // gzdopen reads a file that is not gzip as it is ("transparent" mode), so one path serves both.
  gzFile gz = ::gzdopen(fd, "rb");
  if (!gz) {
    ::close(fd);
    throw UsageError("cannot read '" + path + "'");
  }
  ::gzbuffer(gz, 256 * 1024);
  file_ = gz;
  buffer_.resize(kChunk);
}

LineReader::~LineReader() {
  if (file_) ::gzclose(as_gz(file_));
}

std::uint64_t LineReader::compressed_offset() const {
  auto o = ::gzoffset(as_gz(file_));
  return o < 0 ? 0 : static_cast<std::uint64_t>(o);
}

bool LineReader::compressed() const { return ::gzdirect(as_gz(file_)) == 0; }

// zlib names a file opened by descriptor "<fd:9>": the error says the file's name instead.
void LineReader::fail(const char* what) const {
  std::string_view text = what ? what : "read error";
  if (text.rfind("<fd:", 0) == 0) {
    auto colon = text.find(": ");
    if (colon != std::string_view::npos) text.remove_prefix(colon + 2);
  }
  throw std::runtime_error("reading '" + path_ + "' after line " + std::to_string(line_number_) + ": " +
                           std::string(text));
}

// Reads more data after what is buffered, making room first. False at the end of the input.
bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  auto room = static_cast<unsigned>(std::min<std::size_t>(buffer_.size() - end_, 1u << 30));
  int n = ::gzread(as_gz(file_), buffer_.data() + end_, room);
  if (n < 0) {
    eof_ = true;
    int code = 0;
    const char* message = ::gzerror(as_gz(file_), &code);
    fail(code == Z_ERRNO ? std::strerror(errno) : message);
  }
  if (n == 0) {
    eof_ = true;
    // zlib ends a gzip stream cut short like a complete one, and says so only here.
    int code = Z_OK;
    const char* message = ::gzerror(as_gz(file_), &code);
    if (code == Z_BUF_ERROR) fail((std::string(message) + " (a truncated gzip file?)").c_str());
    return false;
  }
  end_ += static_cast<std::size_t>(n);
  return true;
}

// A line of `length` buffered bytes at begin_, after `dropped` bytes of it that were not kept.
void LineReader::finish_line(std::size_t length, std::uint64_t dropped, std::string_view& line) {
  offset_ += length;
  ++line_number_;
  line_bytes_ = dropped + length;
  if (too_long_ || line_bytes_ > max_line_) {
    too_long_ = true;
    if (prefix_.empty()) prefix_.assign(buffer_.data() + begin_, std::min(length, kPrefixBytes));
    if (line_bytes_ > prefix_.size()) drop_split_character(prefix_);
    line = prefix_;
  } else {
    line = std::string_view(buffer_.data() + begin_, length);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
}

bool LineReader::next(std::string_view& line) {
  if (!pending_error_.empty()) {
    std::string error = std::move(pending_error_);
    pending_error_.clear();
    throw std::runtime_error(error);
  }
  too_long_ = false;
  cut_short_ = false;
  prefix_.clear();
  std::uint64_t dropped = 0;
  std::size_t scanned = begin_;
  for (;;) {
    const char* start = buffer_.data() + scanned;
    const void* nl = std::memchr(start, '\n', end_ - scanned);
    if (nl) {
      std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data());
      finish_line(at - begin_, dropped, line);
      offset_ += 1;
      begin_ = at + 1;
      return true;
    }
    if (end_ - begin_ > max_line_) {
      // Too long to be a record: keep its start for the reject file, drop the rest, and look for its end.
      if (!too_long_) prefix_.assign(buffer_.data() + begin_, std::min(end_ - begin_, kPrefixBytes));
      too_long_ = true;
      dropped += end_ - begin_;
      offset_ += end_ - begin_;
      begin_ = end_ = 0;
    }
    std::size_t before = end_ - begin_;
    bool more = false;
    try {
      more = fill();
    } catch (const std::runtime_error& e) {
      if (end_ == begin_ && !too_long_) throw;
      // The damage ends the input inside a line: that line first, the error with the next call.
      pending_error_ = e.what();
      cut_short_ = true;
    }
    if (!more) {
      if (end_ == begin_ && !too_long_) return false;
      finish_line(end_ - begin_, dropped, line);  // a last line without a line end
      begin_ = end_;
      return true;
    }
    scanned = begin_ + before;
  }
}

void LineReader::skip_to(std::uint64_t offset, std::uint64_t line) {
  begin_ = end_ = 0;
  eof_ = false;
  pending_error_.clear();
  // On a gzip stream gzseek decompresses up to the offset; on a plain file it seeks.
  if (::gzseek(as_gz(file_), static_cast<z_off_t>(offset), SEEK_SET) != static_cast<z_off_t>(offset))
    throw std::runtime_error("'" + path_ + "' is shorter than the checkpoint's position (byte " +
                             std::to_string(offset) + "): was it changed since?");
  offset_ = offset;
  line_number_ = line;
}

}  // namespace krest::cli
