#include "storage/kafka/fetch_turn.hpp"

#include <algorithm>

namespace krest::proxy {

FetchTurn::FetchTurn(Request request, Stream stream, Clock::time_point deadline)
    : request_(request), start_(stream), deadline_(deadline), next_(request.offset), stream_(stream.next) {
  in_stream_ = stream.started && request.offset >= stream.next && request.offset - stream.next <= kReadOnRecords;
  if (stream.started) drained_ = stream.drained;
}

bool FetchTurn::must_ask(std::optional<Offsets> seen) const {
  const bool kept = start_.started && start_.kept_at_offset;
  if (!(in_stream_ || kept) || !seen || seen->high < 0) return true;
  return request_.offset > start_.next && request_.offset >= seen->high;
}

FetchTurn::Start FetchTurn::begin(Offsets offsets) {
  low_ = offsets.low;
  high_ = offsets.high;
  if (request_.offset >= high_) {
    phase_ = Phase::done;
    return Start::nothing;
  }
  next_ = std::max(request_.offset, low_);
  if (start_.started && start_.kept_at_offset && next_ == request_.offset) {
    phase_ = Phase::kept;
    return Start::from_kept;
  }
  phase_ = Phase::stream;
  streamed_ = true;
  if (in_stream_ && next_ == request_.offset) return Start::read_on;
  stream_ = next_;
  drained_ = {};
  return Start::restart;
}

bool FetchTurn::take_kept(std::optional<std::size_t> bytes) {
  if (!bytes) {
    // The kept records run out: read on only if they end where the stream stands.
    if (full_ || records_ == request_.max_records || next_ != stream_) {
      phase_ = Phase::done;
    } else {
      phase_ = Phase::stream;
      streamed_ = true;
    }
    return false;
  }
  if (records_ > 0 && bytes_ + *bytes > request_.max_bytes) {
    full_ = true;
    phase_ = Phase::done;
    return false;
  }
  ++records_;
  bytes_ += *bytes;
  ++next_;
  if (records_ == request_.max_records) phase_ = Phase::done;
  return true;
}

bool FetchTurn::wants_more() const {
  return phase_ == Phase::stream && records_ < request_.max_records && next_ < high_;
}

std::optional<std::chrono::milliseconds> FetchTurn::poll_wait(Clock::time_point now) {
  if (!wants_more()) return std::nullopt;
  if (end_past_ && now >= end_past_->second) {
    // No record came within the grace: the gap up to the reported end is real.
    next_ = std::max(next_, end_past_->first);
    stream_ = std::max(stream_, end_past_->first);
    phase_ = Phase::done;
    return std::nullopt;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
  if (left.count() <= 0) {
    phase_ = Phase::done;
    return std::nullopt;
  }
  auto wait = std::min(left, kLongestPoll);
  if (wakeable()) {
    if (!quiet_until_) quiet_until_ = now + kWakeQuiet;
    const auto to_wake = std::chrono::ceil<std::chrono::milliseconds>(*quiet_until_ - now);
    wait = std::clamp(to_wake, std::chrono::milliseconds(1), wait);
  }
  return wait;
}

bool FetchTurn::wake_due(Clock::time_point now) {
  if (!wakeable() || !wants_more() || !quiet_until_ || now < *quiet_until_) return false;
  drained_ = {};
  quiet_until_.reset();
  return true;
}

bool FetchTurn::wakeable() const {
  return drained_.bytes >= start_.queue.bytes / 2 || drained_.records >= start_.queue.records / 2;
}

FetchTurn::Verdict FetchTurn::on_message(const Message& m, Clock::time_point now) {
  switch (m.kind) {
    case Message::Kind::end_of_partition:
      if (m.offset < high_) return Verdict::drop;  // old news: newer records are on their way
      if (m.offset <= next_) {                     // the end: nothing more now
        stream_ = std::max(stream_, m.offset);
        phase_ = Phase::done;
        return Verdict::drop;
      }
      if (!end_past_) end_past_ = std::pair{m.offset, now + kEndGrace};
      return Verdict::drop;
    case Message::Kind::offsets_gone:
      if (++restarts_ > kMostRestarts) return Verdict::fail;
      return Verdict::ask_offsets;
    case Message::Kind::error:
      if (records_ == 0) return Verdict::fail;
      phase_ = Phase::done;  // answer what was read; the next request meets the error
      return Verdict::drop;
    case Message::Kind::record: break;
  }
  if (m.offset < next_) {
    if (m.offset < stream_) return Verdict::drop;  // already passed (a duplicate)
    heard(now, m.bytes);
    stream_ = m.offset + 1;
    return Verdict::keep_ahead;
  }
  end_past_.reset();
  heard(now, m.bytes);
  if (records_ > 0 && bytes_ + m.bytes > request_.max_bytes) {
    stream_ = m.offset;
    phase_ = Phase::done;
    return Verdict::hold;
  }
  ++records_;
  bytes_ += m.bytes;
  next_ = m.offset + 1;
  stream_ = next_;
  return Verdict::take;
}

bool FetchTurn::restart_with(Offsets offsets) {
  low_ = offsets.low;
  high_ = offsets.high;
  if (next_ >= high_) {
    phase_ = Phase::done;
    return false;
  }
  next_ = std::max(next_, low_);
  stream_ = next_;
  drained_ = {};
  quiet_until_.reset();
  return true;
}

void FetchTurn::heard(Clock::time_point now, std::size_t bytes) {
  drained_.bytes += bytes;
  ++drained_.records;
  quiet_until_ = now + kWakeQuiet;
}

bool FetchTurn::timed_out(Clock::time_point now) const {
  return streamed_ && records_ == 0 && next_ < high_ && now >= deadline_;
}

}  // namespace krest::proxy
