#pragma once
// Starts detached coroutines and tells them whether they still run inside the call that started
// them. co_spawn (Boost 1.81) runs a coroutine at once, up to its first wait, and the connections
// read and write before they wait: with busy CPUs a whole exchange can end inside co_spawn. Work
// that must not happen in there (delivery callbacks, which would run inside the application's
// send(); a slot given back to the starting loop, which would start the same partition again at
// once) first co_awaits leave_spawner(): one turn of the executor while still inside, nothing
// otherwise. For code on one executor (no locking).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <utility>

namespace krest::util {

class Spawner {
 public:
  explicit Spawner(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  void spawn(boost::asio::awaitable<void> work) {
    inside_ = true;
    boost::asio::co_spawn(ex_, std::move(work), boost::asio::detached);
    inside_ = false;
  }

  // No parameters: GCC 12 copies by-value coroutine parameters bytewise (docs/ENGINE.md).
  boost::asio::awaitable<void> leave_spawner() {
    if (inside_) co_await boost::asio::post(ex_, boost::asio::use_awaitable);
  }

 private:
  boost::asio::any_io_executor ex_;
  bool inside_ = false;
};

}  // namespace krest::util
