#include "storage/embedded/durability.hpp"

#include <boost/system/errc.hpp>

#include <algorithm>

#include "storage/embedded/partition_log.hpp"

namespace krest::proxy {

Durability::Durability(DurabilityPolicy policy, std::chrono::milliseconds interval, std::function<void()> sync_all,
                       std::atomic<std::uint64_t>& durable_waits)
    : policy_(policy), interval_(interval), sync_all_(std::move(sync_all)), durable_waits_(durable_waits) {}

Durability::~Durability() { stop(); }

void Durability::start() {
  if (policy_ == DurabilityPolicy::none || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Durability::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Durability::enqueue(Waiter w) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      pending_.push_back(std::move(w));
      cv_.notify_one();
      return;
    }
  }
  // Stopping: sync on the caller's thread so nothing is acknowledged that is not durable.
  std::vector<Waiter> one;
  one.push_back(std::move(w));
  sync_waiters(one);
}

void Durability::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (policy_ == DurabilityPolicy::interval) {
      cv_.wait_for(lock, interval_, [&] { return stopping_; });
      lock.unlock();
      sync_all_();
      lock.lock();
      if (stopping_) return;
      continue;
    }
    cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) return;
    std::vector<Waiter> batch;
    batch.swap(pending_);
    lock.unlock();
    sync_waiters(batch);
    lock.lock();
  }
}

void Durability::sync_waiters(std::vector<Waiter>& batch) {
  // One fdatasync per partition covers every waiter of that partition in the batch.
  durable_waits_ += batch.size();
  std::sort(batch.begin(), batch.end(), [](const Waiter& a, const Waiter& b) { return a.log < b.log; });
  for (std::size_t i = 0; i < batch.size();) {
    PartitionLog* log = batch[i].log.get();
    bool ok = log->sync();
    for (; i < batch.size() && batch[i].log.get() == log; ++i) {
      bool durable = ok && log->synced_mark() >= batch[i].mark;
      batch[i].done(durable ? boost::system::error_code{} : make_error_code(boost::system::errc::io_error));
    }
  }
}

}  // namespace krest::proxy
