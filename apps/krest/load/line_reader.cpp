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
    int code = 0;
    const char* message = ::gzerror(as_gz(file_), &code);
    throw std::runtime_error("reading '" + path_ + "' after line " + std::to_string(line_number_) + ": " +
                             (code == Z_ERRNO ? std::strerror(errno) : message));
  }
  if (n == 0) {
    // zlib ends a gzip stream cut short like a complete one, and says so only here.
    int code = Z_OK;
    const char* message = ::gzerror(as_gz(file_), &code);
    if (code == Z_BUF_ERROR)
      throw std::runtime_error("reading '" + path_ + "' after line " + std::to_string(line_number_) + ": " + message +
                               " (a truncated gzip file?)");
    eof_ = true;
    return false;
  }
  end_ += static_cast<std::size_t>(n);
  return true;
}

bool LineReader::next(std::string_view& line) {
  too_long_ = false;
  std::size_t scanned = begin_;
  for (;;) {
    const char* start = buffer_.data() + scanned;
    const void* nl = std::memchr(start, '\n', end_ - scanned);
    if (nl) {
      std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data());
      std::size_t length = at - begin_;
      offset_ += length + 1;
      ++line_number_;
      if (too_long_ || length > max_line_) {
        too_long_ = true;
        line = {};
      } else {
        line = std::string_view(buffer_.data() + begin_, length);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      }
      begin_ = at + 1;
      return true;
    }
    if (end_ - begin_ > max_line_) {
      // Too long to be a record: drop what is buffered and look for the line's end.
      too_long_ = true;
      offset_ += end_ - begin_;
      begin_ = end_ = 0;
    }
    std::size_t before = end_ - begin_;
    if (!fill()) {
      if (end_ == begin_ && !too_long_) return false;
      std::size_t length = end_ - begin_;  // a last line without a line end
      offset_ += length;
      ++line_number_;
      too_long_ = too_long_ || length > max_line_;
      line = too_long_ ? std::string_view{} : std::string_view(buffer_.data() + begin_, length);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      begin_ = end_;
      return true;
    }
    scanned = begin_ + before;
  }
}

void LineReader::skip_to(std::uint64_t offset, std::uint64_t line) {
  begin_ = end_ = 0;
  eof_ = false;
  // On a gzip stream gzseek decompresses up to the offset; on a plain file it seeks.
  if (::gzseek(as_gz(file_), static_cast<z_off_t>(offset), SEEK_SET) != static_cast<z_off_t>(offset))
    throw std::runtime_error("'" + path_ + "' is shorter than the checkpoint's position (byte " +
                             std::to_string(offset) + "): was it changed since?");
  offset_ = offset;
  line_number_ = line;
}

}  // namespace krest::cli
