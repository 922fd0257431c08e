#pragma once
// One I/O thread with its own io_context. A connection lives on one worker for its whole life, so a
// session's state is only ever touched by that worker's thread and needs no locks or strands.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <list>
#include <optional>
#include <thread>

namespace krest::proxy {

// A session's handle for shutdown: an idle keep-alive connection is closed at once, a busy one
// finishes its request first. Touched only on the owning worker's thread.
struct SessionControl {
  bool idle = false;
  std::function<void()> cancel;
};

struct Worker {
  boost::asio::io_context ioc{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  std::list<SessionControl*> sessions;
  std::thread thread;

  // Registers a session for the scope of the returned object.
  struct Registration {
    Worker& w;
    std::list<SessionControl*>::iterator it;
    ~Registration() { w.sessions.erase(it); }
  };
  Registration add(SessionControl* c) { return {*this, sessions.insert(sessions.end(), c)}; }
};

}  // namespace krest::proxy
