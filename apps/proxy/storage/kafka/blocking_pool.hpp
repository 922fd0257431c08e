#pragma once
// Threads for the calls librdkafka only offers as blocking (watermark queries, admin requests,
// consumer polls), so an I/O thread never waits on a broker. run() is awaited from a coroutine on
// any executor and resumes it there with the result or the exception.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace krest::proxy {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) : pool_(threads) {}
  ~BlockingPool() { pool_.join(); }

  // Runs `f` on a pool thread. `f` is moved there: capture what it needs by value (or by
  // shared_ptr), never the caller's locals by reference.
  template <class F, class R = std::invoke_result_t<F&>>
  boost::asio::awaitable<R> run(F f) {
    if constexpr (std::is_void_v<R>) {
      return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr)>(
          [this](auto handler, F work) {
            auto guard = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
            boost::asio::post(pool_, [h = std::move(handler), w = std::move(work), g = std::move(guard)]() mutable {
              std::exception_ptr e;
              try {
                w();
              } catch (...) {
                e = std::current_exception();
              }
              auto ex = boost::asio::get_associated_executor(h);
              boost::asio::dispatch(ex, [h = std::move(h), e]() mutable { std::move(h)(e); });
            });
          },
          boost::asio::use_awaitable, std::move(f));
    } else {
      return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
          [this](auto handler, F work) {
            auto guard = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
            boost::asio::post(pool_, [h = std::move(handler), w = std::move(work), g = std::move(guard)]() mutable {
              std::exception_ptr e;
              std::optional<R> result;
              try {
                result.emplace(w());
              } catch (...) {
                e = std::current_exception();
              }
              auto ex = boost::asio::get_associated_executor(h);
              boost::asio::dispatch(ex, [h = std::move(h), e, r = std::move(result)]() mutable {
                std::move(h)(e, r ? std::move(*r) : R{});
              });
            });
          },
          boost::asio::use_awaitable, std::move(f));
    }
  }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace krest::proxy
