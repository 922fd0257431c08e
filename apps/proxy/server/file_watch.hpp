#pragma once
// Tells when files the proxy reads are changed, so that a renewed certificate or an edited
// authority file is taken up without a signal: inotify on each file's directory, as deployments
// replace files by renaming a new one over them (and Kubernetes swaps a `..data` link), not by
// writing in place. A burst of changes (an editor's save, a certificate and its key) gives one
// call, once `settle` has passed with no more.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace krest::proxy {

class FileWatch {
 public:
  // Throws std::runtime_error when inotify cannot be set up (a directory missing, no watches left).
  FileWatch(boost::asio::any_io_executor ex, const std::vector<std::filesystem::path>& files,
            std::chrono::milliseconds settle);
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // Runs until stop(): `changed` is called with the names of the files changed in each burst.
  boost::asio::awaitable<void> run(std::function<void(const std::vector<std::string>&)> changed);
  void stop();

 private:
  // Reads every event waiting (never blocks), adding the watched files they change; true when any.
  bool drain(std::set<std::string>& changed);
  // Adds the watched files changed by the events in buf[0, n); true when there was any.
  bool collect(const char* buf, std::size_t n, std::set<std::string>& changed) const;

  boost::asio::posix::stream_descriptor inotify_;
  boost::asio::steady_timer settle_timer_;
  std::chrono::milliseconds settle_;
  std::map<int, std::pair<std::filesystem::path, std::set<std::string>>> dirs_;  // watch -> directory, names in it
};

}  // namespace krest::proxy
