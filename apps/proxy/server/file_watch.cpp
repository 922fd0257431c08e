#include "server/file_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace krest::proxy {
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Written and closed, renamed or linked in, removed or renamed away (the last two so that a file
// put back later, or a failed deployment's removal, is noticed too).
constexpr std::uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM;

int open_inotify() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("cannot watch files (inotify): ") + std::strerror(errno));
  return fd;
}

}  // namespace

FileWatch::FileWatch(asio::any_io_executor ex, const std::vector<fs::path>& files, std::chrono::milliseconds settle)
    : inotify_(ex, open_inotify()), settle_timer_(ex), settle_(settle) {
  std::map<fs::path, int> by_dir;
  for (const auto& f : files) {
    const fs::path absolute = fs::absolute(f);
    const fs::path dir = absolute.parent_path();
    auto [it, added] = by_dir.try_emplace(dir, -1);
    if (added) {
      it->second = ::inotify_add_watch(inotify_.native_handle(), dir.c_str(), kEvents);
      if (it->second < 0)
        throw std::runtime_error("cannot watch directory '" + dir.string() + "': " + std::strerror(errno));
      dirs_[it->second].first = dir;
    }
    dirs_[it->second].second.insert(absolute.filename().string());
  }
}

bool FileWatch::collect(const char* buf, std::size_t n, std::set<std::string>& changed) const {
  bool any = false;
  for (std::size_t at = 0; at + sizeof(inotify_event) <= n;) {
    inotify_event ev;
    std::memcpy(&ev, buf + at, sizeof ev);
    const char* name = buf + at + sizeof(inotify_event);
    at += sizeof(inotify_event) + ev.len;
    const auto dir = dirs_.find(ev.wd);
    if (dir == dirs_.end() || ev.len == 0) continue;
    const std::string file(name, ::strnlen(name, ev.len));
    if (dir->second.second.count(file)) {
      changed.insert((dir->second.first / file).string());
      any = true;
    } else if (file.rfind("..", 0) == 0) {
      // Kubernetes' atomic writer: every file of the volume changes when its `..data` link is swapped.
      for (const auto& watched : dir->second.second) changed.insert((dir->second.first / watched).string());
      any = true;
    }
  }
  return any;
}

bool FileWatch::drain(std::set<std::string>& changed) {
  // Room for many events at once: each is a header and a name of at most NAME_MAX + 1 bytes.
  std::array<char, 64 * 1024> buf;
  bool any = false;
  for (;;) {
    const ssize_t n = ::read(inotify_.native_handle(), buf.data(), buf.size());
    if (n <= 0) return any;  // EAGAIN: all read
    any = collect(buf.data(), static_cast<std::size_t>(n), changed) || any;
  }
}

asio::awaitable<void> FileWatch::run(std::function<void(const std::vector<std::string>&)> changed) {
  std::set<std::string> burst;
  for (;;) {
    auto [wec] = co_await inotify_.async_wait(asio::posix::stream_descriptor::wait_read, kTuple);
    if (wec) co_return;  // stopped
    if (!drain(burst)) continue;
    // Let the burst end: whatever comes within `settle` of the last change of a watched file joins
    // it (other files in their directories do not count).
    for (;;) {
      settle_timer_.expires_after(settle_);
      auto [tec] = co_await settle_timer_.async_wait(kTuple);
      if (tec) co_return;
      if (!drain(burst)) break;
    }
    const std::vector<std::string> names(burst.begin(), burst.end());
    burst.clear();
    changed(names);
  }
}

void FileWatch::stop() {
  boost::system::error_code ignored;
  inotify_.cancel(ignored);
  settle_timer_.cancel();
}

}  // namespace krest::proxy
