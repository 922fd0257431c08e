#include "krest/sync.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <type_traits>
#include <thread>
#include <utility>
#include <variant>

namespace asio = boost::asio;

namespace krest::sync {

namespace {

// What a call on the client's thread ended with, carried to the caller's thread. An exception
// object itself must not make that crossing: libstdc++ counts the references to it (and to a
// runtime_error's message) inside its own library, where ThreadSanitizer sees no synchronisation,
// so an Error thrown there and caught here reads as a data race. An Error crosses as its parts
// and the caller's thread throws a fresh one; anything else still crosses as an exception_ptr.
struct Failure {
  Error::Kind kind;
  std::string message;
  int status;
  std::string proxy_message;
  bool retriable;
};

struct Pending {};
struct Done {};

template <class T>
class Outcome {
 public:
  using Value = std::conditional_t<std::is_void_v<T>, Done, T>;

  template <class... A>
  void emplace_value(A&&... a) {
    state_.template emplace<Value>(std::forward<A>(a)...);
  }

  // Inside a catch block.
  void fail() {
    try {
      throw;
    } catch (const Error& e) {
      state_.template emplace<Failure>(
          Failure{e.kind(), std::string(e.what()), e.status(), e.proxy_message(), e.retriable()});
    } catch (...) {
      state_.template emplace<std::exception_ptr>(std::current_exception());
    }
  }

  T take() {
    if (auto* f = std::get_if<Failure>(&state_)) throw Error(f->kind, f->message, f->status, f->proxy_message, f->retriable);
    if (auto* e = std::get_if<std::exception_ptr>(&state_)) std::rethrow_exception(*e);
    if constexpr (!std::is_void_v<T>) return std::move(std::get<Value>(state_));
  }

 private:
  std::variant<Pending, Value, Failure, std::exception_ptr> state_;
};

}  // namespace

struct Client::Impl {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::unique_ptr<krest::Client> client;
  std::promise<void> ended;
  std::thread thread;

  explicit Impl(ClientOptions options)
      : client(std::make_unique<krest::Client>(ioc.get_executor(), std::move(options))) {
    thread = std::thread([this] {
      ioc.run();
      ended.set_value();
    });
  }

  ~Impl() {
    call([this] { client->close(); });
    work.reset();
    // Whatever is still in flight ends with the connections just closed; a bound all the same.
    if (ended.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) ioc.stop();
    thread.join();
    client.reset();
  }

  void refuse_own_thread(const char* what) const {
    if (std::this_thread::get_id() == thread.get_id())
      throw Error(Error::Kind::invalid, std::string("krest::sync ") + what +
                                            " called on the client's own thread (from a callback): it would wait for itself");
  }

  // Runs `make()`'s coroutine on the client's thread and waits at most `timeout` for its result.
  // `make` holds only shared pointers and plain values: GCC 12 relocates a coroutine's by-value
  // parameters bytewise, which a std::string does not survive.
  template <class T, class F>
  T run(F make, milliseconds timeout, const char* what) {
    refuse_own_thread(what);
    auto outcome = [make = std::move(make)]() mutable -> asio::awaitable<Outcome<T>> {
      Outcome<T> out;
      try {
        if constexpr (std::is_void_v<T>) {
          co_await make();
          out.emplace_value();
        } else {
          T value = co_await make();
          out.emplace_value(std::move(value));
        }
      } catch (...) {
        out.fail();
      }
      co_return out;
    };
    std::future<Outcome<T>> done = asio::co_spawn(ioc, std::move(outcome), asio::use_future);
    if (done.wait_for(timeout) != std::future_status::ready)
      throw Error(Error::Kind::timeout,
                  std::string(what) + ": no result within " + std::to_string(timeout.count()) + " ms (it goes on)");
    return done.get().take();
  }

  // Runs a plain function on the client's thread and waits for it.
  template <class F>
  auto call(F f) -> decltype(f()) {
    using T = decltype(f());
    if (std::this_thread::get_id() == thread.get_id()) return f();
    std::packaged_task<Outcome<T>()> task([&f] {
      Outcome<T> out;
      try {
        if constexpr (std::is_void_v<T>) {
          f();
          out.emplace_value();
        } else {
          out.emplace_value(f());
        }
      } catch (...) {
        out.fail();
      }
      return out;
    });
    auto done = task.get_future();
    asio::post(ioc, [&task] { task(); });
    return done.get().take();
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

ClientMetrics Client::metrics() const {
  return impl_->call([this] { return impl_->client->metrics(); });
}

// ----- Producer

struct Producer::State {
  Client::Impl& c;
  std::unique_ptr<krest::Producer> producer;
};

namespace {

struct SendJob {
  std::string topic;
  Record record;
  DeliveryCallback on_delivery;
};

}  // namespace

Producer::Producer(Client& client, ProducerOptions options)
    : state_(std::make_shared<State>(State{client.impl(), nullptr})) {
  auto& c = client.impl();
  state_->producer = c.call([&] { return std::make_unique<krest::Producer>(*c.client, std::move(options)); });
}

Producer::~Producer() {
  state_->c.call([s = state_] { s->producer.reset(); });
}

void Producer::send(std::string_view topic, Record record, DeliveryCallback on_delivery, milliseconds timeout) {
  auto job = std::make_shared<SendJob>(SendJob{std::string(topic), std::move(record), std::move(on_delivery)});
  state_->c.run<void>(
      [s = state_, job]() -> asio::awaitable<void> {
        co_await s->producer->send(job->topic, std::move(job->record), job->on_delivery);
      },
      timeout, "send");
}

Delivery Producer::produce(std::string_view topic, Record record, milliseconds timeout) {
  auto job = std::make_shared<SendJob>(SendJob{std::string(topic), std::move(record), {}});
  return state_->c.run<Delivery>(
      [s = state_, job]() -> asio::awaitable<Delivery> {
        co_return co_await s->producer->produce(job->topic, std::move(job->record));
      },
      timeout, "produce");
}

bool Producer::flush(milliseconds timeout) {
  // The engine's own deadline decides; the wait here only backs it up.
  return state_->c.run<bool>(
      [s = state_, timeout]() -> asio::awaitable<bool> { co_return co_await s->producer->flush(timeout); },
      timeout + milliseconds(5000), "flush");
}

bool Producer::close(milliseconds timeout) {
  return state_->c.run<bool>(
      [s = state_, timeout]() -> asio::awaitable<bool> {
        if (!co_await s->producer->flush(timeout)) co_return false;
        co_await s->producer->close();
        co_return true;
      },
      timeout + milliseconds(5000), "close");
}

std::shared_ptr<const Error> Producer::last_error() const {
  return state_->c.call([s = state_] { return s->producer->last_error(); });
}

// ----- Consumer

struct Consumer::State {
  Client::Impl& c;
  std::unique_ptr<krest::Consumer> consumer;
};

Consumer::Consumer(Client& client, ConsumerOptions options)
    : state_(std::make_shared<State>(State{client.impl(), nullptr})) {
  auto& c = client.impl();
  state_->consumer = c.call([&] { return std::make_unique<krest::Consumer>(*c.client, std::move(options)); });
}

Consumer::~Consumer() {
  state_->c.call([s = state_] { s->consumer.reset(); });
}

void Consumer::subscribe(std::string_view topic, StartAt start, milliseconds timeout) {
  auto name = std::make_shared<const std::string>(topic);
  state_->c.run<void>(
      [s = state_, name, start]() -> asio::awaitable<void> { co_await s->consumer->subscribe(*name, start); },
      timeout, "subscribe");
}

void Consumer::assign(std::string_view topic, std::int32_t partition, StartAt start, milliseconds timeout) {
  auto name = std::make_shared<const std::string>(topic);
  state_->c.run<void>(
      [s = state_, name, partition, start]() -> asio::awaitable<void> {
        co_await s->consumer->assign(*name, partition, start);
      },
      timeout, "assign");
}

std::optional<RecordBatch> Consumer::poll(milliseconds wait) {
  return state_->c.run<std::optional<RecordBatch>>(
      [s = state_, wait]() -> asio::awaitable<std::optional<RecordBatch>> { co_return co_await s->consumer->poll(wait); },
      wait + milliseconds(5000), "poll");
}

std::vector<PartitionPosition> Consumer::positions() const {
  return state_->c.call([s = state_] { return s->consumer->positions(); });
}

void Consumer::close() {
  state_->c.call([s = state_] { s->consumer->close(); });
}

// ----- Admin

std::vector<std::string> Admin::list_topics() {
  auto& c = client_.impl();
  return c.run<std::vector<std::string>>(
      [&c]() -> asio::awaitable<std::vector<std::string>> {
        krest::Admin admin(*c.client);
        co_return co_await admin.list_topics();
      },
      timeout_, "list_topics");
}

void Admin::create_topic(std::string_view topic, TopicSettings settings) {
  auto& c = client_.impl();
  auto name = std::make_shared<const std::string>(topic);
  auto how = std::make_shared<const TopicSettings>(std::move(settings));
  c.run<void>(
      [&c, name, how]() -> asio::awaitable<void> {
        krest::Admin admin(*c.client);
        co_await admin.create_topic(*name, *how);
      },
      timeout_, "create_topic");
}

void Admin::delete_topic(std::string_view topic) {
  auto& c = client_.impl();
  auto name = std::make_shared<const std::string>(topic);
  c.run<void>([&c, name]() -> asio::awaitable<void> {
        krest::Admin admin(*c.client);
        co_await admin.delete_topic(*name);
      },
              timeout_, "delete_topic");
}

TopicInfo Admin::describe(std::string_view topic) {
  auto& c = client_.impl();
  auto name = std::make_shared<const std::string>(topic);
  return c.run<TopicInfo>(
      [&c, name]() -> asio::awaitable<TopicInfo> {
        krest::Admin admin(*c.client);
        co_return co_await admin.describe(*name);
      },
      timeout_, "describe");
}

}  // namespace krest::sync
