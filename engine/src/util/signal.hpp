#pragma once
// Coroutines waiting for some state to change, all woken together by notify_all(); each then
// checks its own condition again. For code on one executor (no locking).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <vector>

namespace krest::util {

class Signal {
 public:
  explicit Signal(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  // Returns after the next notify_all(), or at `deadline`, whichever comes first.
  boost::asio::awaitable<void> wait(
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) {
    boost::asio::steady_timer timer(ex_, deadline);
    waiters_.push_back(&timer);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (auto it = std::find(waiters_.begin(), waiters_.end(), &timer); it != waiters_.end()) waiters_.erase(it);
  }

  void notify_all() {
    for (auto* t : waiters_) t->cancel();
    waiters_.clear();
  }

 private:
  boost::asio::any_io_executor ex_;
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace krest::util
