#pragma once
// When a produce is acknowledged (ProxyConfig::durability):
//   fsync    - after fdatasync covers its records. One syncer thread serves every waiting request:
//              while it syncs, new requests queue, and the next fdatasync covers them all (group commit).
//   interval - at once; the syncer syncs every written partition each interval.
//   none     - at once; only the OS decides when data reaches the disk.
// In every mode an acknowledged record has been written to the file, so it survives kill -9 of the
// proxy; the modes differ in what survives a power loss or kernel crash.
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace krest::proxy {

class PartitionLog;

enum class DurabilityPolicy { fsync, interval, none };

class Durability {
 public:
  // `sync_all` syncs every partition (interval mode).
  Durability(DurabilityPolicy policy, std::chrono::milliseconds interval, std::function<void()> sync_all,
             std::atomic<std::uint64_t>& durable_waits);
  ~Durability();

  DurabilityPolicy policy() const { return policy_; }
  void start();
  void stop();  // completes every waiter first

  // Completes with no error once `log` is durable up to `mark`, or with an I/O error.
  template <class Token>
  auto async_wait(std::shared_ptr<PartitionLog> log, std::uint64_t mark, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler, std::shared_ptr<PartitionLog> waiting_log, std::uint64_t waiting_mark) {
          // The handler runs on its own executor, never on the syncer thread.
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          enqueue({std::move(waiting_log), waiting_mark, [shared](boost::system::error_code ec) {
                     auto ex = boost::asio::get_associated_executor(*shared);
                     boost::asio::post(ex, [shared, ec] { (*shared)(ec); });
                   }});
        },
        token, std::move(log), mark);
  }

 private:
  struct Waiter {
    std::shared_ptr<PartitionLog> log;
    std::uint64_t mark;
    std::function<void(boost::system::error_code)> done;
  };
  void enqueue(Waiter w);
  void run();
  void sync_waiters(std::vector<Waiter>& batch);

  DurabilityPolicy policy_;
  std::chrono::milliseconds interval_;
  std::function<void()> sync_all_;
  std::atomic<std::uint64_t>& durable_waits_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter> pending_;  // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  std::thread thread_;
};

}  // namespace krest::proxy
