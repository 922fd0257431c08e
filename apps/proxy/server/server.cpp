#include "server/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "server/file_watch.hpp"

namespace krest::proxy {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// max_connections, but never so many that connections would take the descriptors the storage
// needs (segment files, an index each) or leave none to accept with: an eighth of the open-file
// limit, and at least 256, stay for the storage.
std::int64_t connection_limit(const ProxyConfig& config) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return config.max_connections;
  const auto files = static_cast<std::int64_t>(limit.rlim_cur);
  const std::int64_t left = files - std::max<std::int64_t>(256, files / 8);
  if (left < config.max_connections)
    spdlog::warn("connections: at most {} at once (the open-file limit is {}; max_connections is {})",
                 std::max<std::int64_t>(left, 16), files, config.max_connections);
  return std::max<std::int64_t>(16, std::min(config.max_connections, left));
}

}  // namespace

Server::Server(const ProxyConfig& config, RouteContext& routes, ProxyMetrics& metrics, ServerTls* tls)
    : config_(config),
      tls_(tls),
      workers_([&] {
        std::vector<std::unique_ptr<Worker>> w;
        auto n = config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
        for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) w.push_back(std::make_unique<Worker>());
        return w;
      }()),
      acceptor_(workers_[0]->ioc),
      signals_(workers_[0]->ioc, SIGINT, SIGTERM),
      hangups_(workers_[0]->ioc, SIGHUP),
      // Never below what one body of max_body_bytes holds: a body the proxy accepts must be
      // admissible when nothing else is held.
      bodies_(std::max(body_memory_bound(config.max_body_memory_bytes),
                       BodyBudget::kCopiesPerBody * static_cast<std::uint64_t>(config.max_body_bytes))),
      env_{routes, config, metrics, stopping_, body_codings(config), bodies_},
      connection_limit_(connection_limit(config)) {
  metrics.show_body_budget(&bodies_);
}

Server::~Server() { env_.metrics.show_body_budget(nullptr); }

tcp::endpoint Server::bind() {
  const auto colon = config_.listen.rfind(':');
  std::string host = config_.listen.substr(0, colon);
  const std::string port = config_.listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  tcp::resolver resolver(workers_[0]->ioc);
  auto results = resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve listen address '" + config_.listen + "': " + ec.message());
  tcp::endpoint ep = results.begin()->endpoint();
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + config_.listen + ": " + ec.message());
  return acceptor_.local_endpoint();
}

void Server::run() {
  for (auto& w : workers_) w->guard.emplace(w->ioc.get_executor());
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: finishing requests in flight, then stopping", sig);
    begin_stop();
  });
  asio::co_spawn(workers_[0]->ioc, accept_loop(), asio::detached);
  asio::co_spawn(workers_[0]->ioc, reload_loop(), asio::detached);
  if (file_watch_) {
    auto changes = file_watch_->run([this](const std::vector<std::string>& files) {
      if (stopping_.load()) return;
      std::string names;
      for (const auto& f : files) names += (names.empty() ? "" : ", ") + f;
      spdlog::info("changed: {}: reloading", names);
      if (reload_) reload_();
    });
    asio::co_spawn(workers_[0]->ioc, std::move(changes), asio::detached);
  }
  for (std::size_t i = 1; i < workers_.size(); ++i)
    workers_[i]->thread = std::thread([w = workers_[i].get()] { w->ioc.run(); });
  workers_[0]->ioc.run();
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->thread.join();
}

void Server::request_stop() {
  asio::post(workers_[0]->ioc, [this] { begin_stop(); });
}

void Server::watch_files(const std::vector<std::filesystem::path>& files) {
  // A burst of changes (a certificate and its key, an editor's save) within half a second is one reload.
  file_watch_ = std::make_unique<FileWatch>(workers_[0]->ioc.get_executor(), files, std::chrono::milliseconds(500));
}

asio::awaitable<void> Server::reload_loop() {
  for (;;) {
    auto [ec, sig] = co_await hangups_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopping_.load()) co_return;  // cancelled at shutdown
    spdlog::info("signal {}: reloading", sig);
    if (reload_) reload_();
  }
}

asio::awaitable<void> Server::accept_loop() {
  std::size_t next = 0;
  for (;;) {
    Worker& w = *workers_[next++ % workers_.size()];
    auto [ec, socket] = co_await acceptor_.async_accept(w.ioc, asio::as_tuple(asio::use_awaitable));
    if (stopping_.load()) co_return;
    if (ec) {
      // Out of file descriptors and the like: wait a moment rather than spin, and say so once.
      warn_now_and_then("accept failed: " + ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code peer_ec;
    std::string source = socket.remote_endpoint(peer_ec).address().to_string();
    if (!admit(source)) {
      env_.metrics.connection_rejected();
      continue;  // the socket closes as it goes out of scope
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++sessions_;
    auto session = tls_ ? serve_tls(std::move(socket), tls_->current(), env_, w) : serve_plain(std::move(socket), env_, w);
    asio::co_spawn(w.ioc, std::move(session), [this, source = std::move(source)](std::exception_ptr e) {
      release(source);
      --sessions_;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("connection ended by an unexpected error: {}", ex.what());
      }
    });
  }
}

bool Server::admit(const std::string& source) {
  if (env_.metrics.open_connections() >= connection_limit_) {
    warn_now_and_then("connection refused: " + std::to_string(connection_limit_) +
                      " open already (max_connections, or the open-file limit)");
    return false;
  }
  std::lock_guard lock(sources_mutex_);
  auto& open = per_source_[source];
  if (open >= config_.max_connections_per_source) {
    warn_now_and_then("connection from " + source + " refused: " + std::to_string(open) +
                      " open from there already (max_connections_per_source)");
    return false;
  }
  ++open;
  return true;
}

void Server::release(const std::string& source) {
  std::lock_guard lock(sources_mutex_);
  auto it = per_source_.find(source);
  if (it != per_source_.end() && --it->second <= 0) per_source_.erase(it);
}

void Server::warn_now_and_then(const std::string& message) {
  const auto now = std::chrono::steady_clock::now();
  if (now - warned_at_ < std::chrono::seconds(10)) return;
  warned_at_ = now;
  spdlog::warn("{} (this warning waits 10 s before it repeats)", message);
}

void Server::begin_stop() {
  if (stopping_.exchange(true)) return;
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  hangups_.cancel(ignored);
  if (file_watch_) file_watch_->stop();
  acceptor_.close(ignored);
  for (auto& w : workers_) {
    asio::post(w->ioc, [w = w.get()] {
      for (auto* s : w->sessions)
        if (s->idle) s->cancel();
    });
  }
  asio::co_spawn(workers_[0]->ioc, drain(), asio::detached);
}

asio::awaitable<void> Server::drain() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.shutdown_grace_ms);
  asio::steady_timer timer(workers_[0]->ioc);
  while (sessions_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    // Sessions that were busy when the stop began go idle after answering; close those too.
    for (auto& w : workers_) {
      asio::post(w->ioc, [w = w.get()] {
        for (auto* s : w->sessions)
          if (s->idle) s->cancel();
      });
    }
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (sessions_.load() > 0)
    spdlog::warn("{} connection(s) still busy after the grace period; closing them", sessions_.load());
  for (auto& w : workers_) {
    w->guard.reset();
    w->ioc.stop();
  }
}

}  // namespace krest::proxy
