#include "flow/compression_policy.hpp"

#include <algorithm>

namespace krest::flow {
namespace {

constexpr std::size_t kMinCompressBytes = 1024;
constexpr std::size_t kTimedBytes = 16 * 1024;
constexpr double kWorthRatio = 1.25;  // plain / wire: a fifth smaller
constexpr auto kPause = std::chrono::seconds(60);
constexpr auto kCheckEvery = std::chrono::seconds(10);
constexpr auto kTryFor = std::chrono::milliseconds(500);
constexpr double kKeepWithout = 0.9;  // uncompressed goodput at least this share of compressed: off

}  // namespace

CompressionPolicy::CompressionPolicy(Compression setting) : setting_(setting) {}

void CompressionPolicy::Requests::start(bool compress, Clock::time_point now) {
  compressing = compress;
  blind = false;
  since = now;
  bytes_since = plain_bytes;
}

double CompressionPolicy::Requests::goodput(Clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - since).count();
  return seconds > 0 ? static_cast<double>(plain_bytes - bytes_since) / seconds : 0;
}

bool CompressionPolicy::Requests::wants(Clock::time_point now, bool cpu_to_spare, bool cpu_busy, bool long_link) {
  if (trying_without) {
    if (now - since < kTryFor) return false;
    // Half a second without: did it carry (nearly) as much as compressed?
    trying_without = false;
    if (goodput(now) >= kKeepWithout * goodput_on) {
      paused_until = now + kPause;
      start(false, now);
      return false;
    }
    start(true, now);
    shown_to_pay = true;
    return true;
  }
  if (now < paused_until) return false;
  // Turned on by a connect that looked long (its DNS lookup, say), and a later one was quick.
  if (compressing && blind && !long_link) start(false, now);
  if (compressing) {
    const auto on_for = now - since;
    const bool check = on_for > kCheckEvery;
    // Busy CPUs try without once, unless bodies crawl: then the link is plainly what everything
    // waits for, and half a second without would cost a short load a third of its time.
    const bool try_busy = cpu_busy && !shown_to_pay && !blind && !crawling();
    if (on_for >= kTryFor && (check || try_busy)) {
      goodput_on = goodput(now);
      if (!check && goodput_off > 0 && goodput_off < kKeepWithout * goodput_on) {
        shown_to_pay = true;  // the time before it was turned on already showed it
        return true;
      }
      trying_without = true;
      start(false, now);
      return false;
    }
    return true;
  }
  if (rate == 0 && long_link) {
    start(true, now);
    blind = true;
    return true;
  }
  if (rate == 0 || (!crawling() && (rate >= kSlowLink || !cpu_to_spare))) return false;
  goodput_off = now - since >= kTryFor / 2 ? goodput(now) : 0;
  shown_to_pay = false;
  start(true, now);
  return true;
}

void CompressionPolicy::Requests::timed(std::size_t wire, double seconds) {
  if (wire < kTimedBytes) return;
  seconds_per_byte[samples++ % kSamples] = std::max(seconds, 1e-7) / static_cast<double>(wire);
  rate = median_rate(kSamples);
  // The last few alone: a link that has just filled up shows here first.
  recent_rate = median_rate(kRecent);
}

double CompressionPolicy::Requests::median_rate(std::size_t k) const {
  const std::size_t n = std::min({samples, k, kSamples});
  std::array<double, kSamples> last{};
  for (std::size_t i = 0; i < n; ++i) last[i] = seconds_per_byte[(samples - 1 - i) % kSamples];
  std::nth_element(last.begin(), last.begin() + static_cast<std::ptrdiff_t>(n / 2),
                   last.begin() + static_cast<std::ptrdiff_t>(n));
  return 1 / last[n / 2];
}

void CompressionPolicy::Requests::pause(Clock::time_point now) {
  paused_until = now + kPause;
  trying_without = false;
  start(false, now);
}

bool CompressionPolicy::Shrinkage::worth(std::size_t plain, std::size_t wire) {
  if (wire == 0) return true;
  const double sample = static_cast<double>(plain) / static_cast<double>(wire);
  ratio = ratio == 0 ? sample : 0.75 * ratio + 0.25 * sample;
  if (ratio >= kWorthRatio) return true;
  ratio = 0;
  return false;
}

std::string CompressionPolicy::accept_encoding(Clock::time_point now, std::size_t body_bytes,
                                               coding::Coding body_coding) {
  switch (setting_) {
    case Compression::none: return {};
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    case Compression::automatic: break;
  }
  if (now < answers_paused_until_) return {};
  // The answer to a body sent plain, by choice, to a server that takes compressed ones: the link
  // was judged faster than compressing, and the answer is smaller than the body.
  if (body_bytes >= kMinCompressBytes && body_coding == coding::Coding::identity && takes_compressed_bodies())
    return {};
  return "zstd, gzip";
}

coding::Coding CompressionPolicy::request_coding(std::size_t bytes, Clock::time_point now) {
  if (refused_ || bytes < kMinCompressBytes) return coding::Coding::identity;
  switch (setting_) {
    case Compression::none: return coding::Coding::identity;
    case Compression::gzip: return coding::Coding::gzip;
    case Compression::zstd: return coding::Coding::zstd;
    case Compression::automatic: break;
  }
  if (!takes_compressed_bodies() || !requests_.wants(now, spare_cpu(), busy_cpu(), long_link_))
    return coding::Coding::identity;
  return server_accepts_->zstd ? coding::Coding::zstd : coding::Coding::gzip;
}

void CompressionPolicy::observe(const Answer& a, Clock::time_point now) {
  if (a.server_accepts) server_accepts_ = a.server_accepts;
  // What request bodies deliver is counted from the first answer on, not from the client's start.
  if (requests_.since == Clock::time_point{}) requests_.start(false, now);
  requests_.plain_bytes += a.request_plain;
  if (a.request_transfer_seconds) requests_.timed(a.request_wire, *a.request_transfer_seconds);
  if (a.request_coding != coding::Coding::identity && !request_shrinkage_.worth(a.request_plain, a.request_wire))
    requests_.pause(now);
  if (a.response_coding != coding::Coding::identity && !answer_shrinkage_.worth(a.response_plain, a.response_wire))
    answers_paused_until_ = now + kPause;
}

void CompressionPolicy::machine_idle(double share) {
  idle_last_ = share;
  idle_ = idle_ < 0 ? share : 0.8 * idle_ + 0.2 * share;  // readings every 30 ms: ~0.13 s
}

void CompressionPolicy::refused() { refused_ = true; }

}  // namespace krest::flow
