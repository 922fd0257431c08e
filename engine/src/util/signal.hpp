#pragma once
// Coroutines waiting for some state to change, all woken together by notify_all(); each then
// checks its own condition again. For code on one executor (no locking).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <memory>
#include <vector>

namespace krest::util {

class Signal {
 public:
  explicit Signal(boost::asio::any_io_executor ex) : ex_(std::move(ex)), waiters_(std::make_shared<Waiters>()) {}

  // Returns after the next notify_all(), or at `deadline`, whichever comes first. A waiter must
  // not touch the Signal's owner after returning unless it knows the owner is still there.
  boost::asio::awaitable<void> wait(
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) {
    boost::asio::steady_timer timer(ex_, deadline);
    Registration registered(waiters_, timer);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  void notify_all() {
    for (auto* t : *waiters_) t->cancel();
    waiters_->clear();
  }

 private:
  using Waiters = std::vector<boost::asio::steady_timer*>;

  // Takes a waiting timer off the list however the wait ends: woken, timed out, or its coroutine
  // frame destroyed unresumed (an io_context torn down with work pending). The list is shared, so
  // this holds also when the Signal itself went first.
  struct Registration {
    std::shared_ptr<Waiters> waiters;
    boost::asio::steady_timer& timer;
    Registration(std::shared_ptr<Waiters> w, boost::asio::steady_timer& t) : waiters(std::move(w)), timer(t) {
      waiters->push_back(&timer);
    }
    ~Registration() {
      if (auto it = std::find(waiters->begin(), waiters->end(), &timer); it != waiters->end()) waiters->erase(it);
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
  };

  boost::asio::any_io_executor ex_;
  std::shared_ptr<Waiters> waiters_;
};

}  // namespace krest::util
