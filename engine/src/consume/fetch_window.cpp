#include "consume/fetch_window.hpp"

#include <algorithm>

namespace krest::consume {

FetchWindow::FetchWindow(std::int64_t position, std::int32_t count, std::size_t window)
    : position_(position), count_(count), window_(window) {}

bool FetchWindow::position_covered() const {
  for (auto it = entries_.begin(); it != entries_.end() && it->first <= position_; ++it)
    if (it->first == position_ || covered_end(it->second) > position_) return true;
  return false;
}

std::optional<std::int64_t> FetchWindow::next_request() {
  // A gap at the position holds everything up: it is asked for whatever the window says.
  if (!position_covered()) {
    entries_[position_].expected_end = position_ + count_;
    return position_;
  }
  if (end_seen_ || probing_) return std::nullopt;
  if (awaiting_header() >= window_ || entries_.size() >= 2 * window_) return std::nullopt;
  std::int64_t frontier = position_;
  for (const auto& [start, e] : entries_) frontier = std::max(frontier, covered_end(e));
  if (entries_.count(frontier)) return std::nullopt;
  entries_[frontier].expected_end = frontier + count_;
  return frontier;
}

void FetchWindow::header(std::int64_t start, std::int64_t next) {
  auto it = entries_.find(start);
  if (it == entries_.end()) return;  // a range already given up on
  // NextOffset never points back; one that does is read as "nothing here".
  next = std::max(next, start);
  it->second.next = next;
  if (next == start) end_seen_ = end_seen_ ? std::min(*end_seen_, start) : start;
}

void FetchWindow::completed(std::int64_t start, std::vector<ConsumedRecord> records, std::int64_t next) {
  auto it = entries_.find(start);
  if (it == entries_.end()) return;
  header(start, next);
  it->second.done = true;
  it->second.records = std::move(records);
}

void FetchWindow::failed(std::int64_t start) { entries_.erase(start); }

std::optional<std::vector<ConsumedRecord>> FetchWindow::take_next() {
  const std::int64_t before = position_;
  for (auto it = entries_.begin(); it != entries_.end() && it->first <= position_; ++it) {
    Entry& e = it->second;
    if (!e.done || *e.next <= position_) continue;
    std::vector<ConsumedRecord> out;
    // Usually the whole answer is new: take its records as they are, without copying each.
    if (e.records.empty() || e.records.front().offset >= position_) {
      out = std::move(e.records);
      while (!out.empty() && out.back().offset >= *e.next) out.pop_back();
    } else {
      for (auto& r : e.records)
        if (r.offset >= position_ && r.offset < *e.next) out.push_back(std::move(r));
    }
    e.records.clear();
    position_ = *e.next;
    forget_behind(before);
    return out;
  }
  forget_behind(before);  // a late answer wholly behind the position goes too
  return std::nullopt;
}

// Drops what lies wholly behind the position: delivered ranges, answers no longer needed, and
// "nothing here" answers the position has moved past.
void FetchWindow::forget_behind(std::int64_t before) {
  for (auto it = entries_.begin(); it != entries_.end() && it->first < position_;) {
    if (it->second.next && *it->second.next <= position_)
      it = entries_.erase(it);
    else
      ++it;
  }
  if (position_ != before) probing_ = false;
  if (end_seen_ && *end_seen_ < position_) {
    end_seen_.reset();
    for (const auto& [start, e] : entries_)
      if (e.next && *e.next == start) end_seen_ = end_seen_ ? std::min(*end_seen_, start) : start;
  }
}

bool FetchWindow::caught_up() const {
  auto it = entries_.find(position_);
  return it != entries_.end() && it->second.next && *it->second.next == position_;
}

void FetchWindow::poll_again() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.next && *it->second.next == it->first)
      it = entries_.erase(it);
    else
      ++it;
  }
  end_seen_.reset();
  probing_ = true;
}

std::size_t FetchWindow::in_flight() const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) { return !kv.second.done; }));
}

std::size_t FetchWindow::awaiting_header() const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) { return !kv.second.next; }));
}

}  // namespace krest::consume
