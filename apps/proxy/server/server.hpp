#pragma once
// The listener and its workers: one thread per core, each with its own io_context. Worker 0 also
// accepts and hands connections out round-robin.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/server_tls.hpp"
#include "server/session.hpp"
#include "server/worker.hpp"

namespace krest::proxy {

class FileWatch;

class Server {
 public:
  // `tls` null: plain HTTP.
  Server(const ProxyConfig& config, RouteContext& routes, ProxyMetrics& metrics, ServerTls* tls);
  ~Server();

  // Binds the listen address; returns the bound endpoint (the real port when 0 was asked).
  // Throws std::runtime_error naming the address on failure.
  boost::asio::ip::tcp::endpoint bind();

  // Serves until SIGINT/SIGTERM or request_stop(); then finishes requests in flight (up to
  // shutdown_grace_ms) and returns.
  void run();
  void request_stop();  // thread-safe
  // What SIGHUP does (on the accepting thread): reload what can be reloaded.
  void on_reload(std::function<void()> reload) { reload_ = std::move(reload); }
  // Reload as on SIGHUP, too, when any of `files` changes (call before run()). Throws
  // std::runtime_error when they cannot be watched.
  void watch_files(const std::vector<std::filesystem::path>& files);
  // Memory for request bodies and answers (max_body_memory_bytes, or its default).
  const BodyBudget& memory() const { return bodies_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> drain();
  boost::asio::awaitable<void> reload_loop();
  void begin_stop();

  // Whether a connection from `source` may be taken now (and, if so, counts it).
  bool admit(const std::string& source);
  void release(const std::string& source);
  void warn_now_and_then(const std::string& message);  // on the accepting thread only

  const ProxyConfig& config_;
  ServerTls* tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set hangups_;
  std::function<void()> reload_;
  std::unique_ptr<FileWatch> file_watch_;  // with watch_files()
  std::atomic<bool> stopping_{false};
  std::atomic<int> sessions_{0};
  BodyBudget bodies_;
  SessionEnv env_;
  std::int64_t connection_limit_;  // max_connections, and what the open-file limit leaves for them
  std::mutex sources_mutex_;       // guards per_source_
  std::unordered_map<std::string, std::int64_t> per_source_;
  std::chrono::steady_clock::time_point warned_at_{};
};

}  // namespace krest::proxy
