#include "flow/compression_policy.hpp"

#include <algorithm>

namespace krest::flow {
namespace {

constexpr std::size_t kMinCompressBytes = 1024;
constexpr std::size_t kTimedBytes = 16 * 1024;
constexpr double kWorthRatio = 1.25;  // plain / wire: a fifth smaller
constexpr auto kPause = std::chrono::seconds(60);
constexpr auto kProbeEvery = std::chrono::seconds(30);

double ewma(double old, double sample) { return old == 0 ? sample : 0.75 * old + 0.25 * sample; }

}  // namespace

CompressionPolicy::CompressionPolicy(Compression setting) : setting_(setting) {}

bool CompressionPolicy::Direction::wants(Clock::time_point now) {
  if (now < paused_until || rate == 0 || rate >= kSlowLink) return compressing = false;
  // Compressed bodies may be too small to time: one uncompressed now and then measures the link.
  if (compressing && now - timed_at > kProbeEvery && !probe_due) probe_due = true;
  if (probe_due) {
    probe_due = false;
    timed_at = now;  // one probe per period, whatever comes of it
    return false;
  }
  return compressing = true;
}

void CompressionPolicy::Direction::timed(std::size_t wire, double seconds, Clock::time_point now) {
  if (wire < kTimedBytes) return;
  // Averaged as time per byte, not bytes per second: what compression saves is time, and one
  // body that crawled behind others weighs as much as it cost.
  seconds_per_byte = ewma(seconds_per_byte, std::max(seconds, 1e-7) / static_cast<double>(wire));
  rate = 1 / seconds_per_byte;
  timed_at = now;
}

void CompressionPolicy::Direction::shrank(std::size_t plain, std::size_t wire, Clock::time_point now) {
  if (wire == 0) return;
  ratio = ewma(ratio, static_cast<double>(plain) / static_cast<double>(wire));
  if (ratio < kWorthRatio) {
    paused_until = now + kPause;
    ratio = 0;
  }
}

std::string CompressionPolicy::accept_encoding(Clock::time_point now) {
  switch (setting_) {
    case Compression::none: return {};
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    case Compression::automatic: break;
  }
  return down_.wants(now) ? "zstd, gzip" : std::string();
}

coding::Coding CompressionPolicy::request_coding(std::size_t bytes, Clock::time_point now) {
  if (refused_ || bytes < kMinCompressBytes) return coding::Coding::identity;
  switch (setting_) {
    case Compression::none: return coding::Coding::identity;
    case Compression::gzip: return coding::Coding::gzip;
    case Compression::zstd: return coding::Coding::zstd;
    case Compression::automatic: break;
  }
  if (!server_accepts_ || server_accepts_->empty() || !up_.wants(now)) return coding::Coding::identity;
  return server_accepts_->zstd ? coding::Coding::zstd : coding::Coding::gzip;
}

void CompressionPolicy::observe(const Answer& a, Clock::time_point now) {
  if (a.server_accepts) server_accepts_ = a.server_accepts;
  if (a.request_transfer_seconds) up_.timed(a.request_wire, *a.request_transfer_seconds, now);
  if (a.request_coding != coding::Coding::identity) up_.shrank(a.request_plain, a.request_wire, now);
  down_.timed(a.response_wire, a.response_transfer_seconds, now);
  if (a.response_coding != coding::Coding::identity) down_.shrank(a.response_plain, a.response_wire, now);
}

void CompressionPolicy::refused() { refused_ = true; }

}  // namespace krest::flow
