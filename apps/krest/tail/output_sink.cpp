#include "tail/output_sink.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace krest::cli {

OutputSink::OutputSink(const std::string& path, const std::uint64_t* truncate_to) : path_(path) {
  if (path == "-") return;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open the output '" + path + "': " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd_, &st);
  bytes_ = static_cast<std::uint64_t>(st.st_size);
  if (truncate_to) {
    if (bytes_ < *truncate_to)
      throw std::runtime_error("the output '" + path + "' has " + std::to_string(bytes_) +
                               " bytes and the checkpoint says " + std::to_string(*truncate_to) +
                               ": it was changed; give another --output or delete the checkpoint");
    // What was written after the checkpoint will be fetched and written again.
    if (bytes_ > *truncate_to && ::ftruncate(fd_, static_cast<off_t>(*truncate_to)) != 0)
      throw std::runtime_error("cannot cut the output '" + path + "' back: " + std::strerror(errno));
    bytes_ = *truncate_to;
  }
}

OutputSink::~OutputSink() {
  if (fd_ != 1) ::close(fd_);
}

bool OutputSink::write(const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) return false;
    if (n < 0) throw std::runtime_error("cannot write to '" + path_ + "': " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  bytes_ += data.size();
  return true;
}

bool OutputSink::reader_gone() const {
  if (is_file()) return false;
  // The write end of a pipe whose readers have all closed polls as POLLERR; a hung-up terminal as POLLHUP.
  pollfd p{fd_, 0, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

void OutputSink::sync() {
  if (fd_ != 1 && ::fdatasync(fd_) != 0)
    throw std::runtime_error("cannot sync the output '" + path_ + "': " + std::strerror(errno));
}

}  // namespace krest::cli
