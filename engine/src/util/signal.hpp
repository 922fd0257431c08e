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
    Registration registered(*this, timer);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  void notify_all() {
    for (auto* t : waiters_) t->cancel();
    waiters_.clear();
  }

 private:
  // Takes a waiting timer off the list however the wait ends, also when its coroutine frame is
  // destroyed without resuming (an io_context torn down with work pending).
  struct Registration {
    Signal& signal;
    boost::asio::steady_timer& timer;
    Registration(Signal& s, boost::asio::steady_timer& t) : signal(s), timer(t) { signal.waiters_.push_back(&timer); }
    ~Registration() {
      auto& w = signal.waiters_;
      if (auto it = std::find(w.begin(), w.end(), &timer); it != w.end()) w.erase(it);
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
  };

  boost::asio::any_io_executor ex_;
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace krest::util
