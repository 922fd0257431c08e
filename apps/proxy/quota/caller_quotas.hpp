#pragma once
// Rates per caller, so that one noisy application cannot take the whole proxy: requests/s, produce
// bytes/s and consume bytes/s, each a token bucket holding `burst_s` seconds of its rate. The
// caller is the token's application (appid, azp) or object id (oid); without authentication, the
// source address.
//
// A group named in quota_groups has buckets of its own, shared by every caller whose token carries
// it (the token's "groups" claim): a request counts against its caller's quotas and each of its
// groups'.
//
// A request is let in while each bucket that applies to it is out of debt; what it cost is taken
// afterwards, in full. So a single request larger than a second's worth still passes (and its
// caller then waits the debt off), and consume bytes, known only once the answer is built, are
// counted the same way as produce bytes. Refusals are 429 with Retry-After: the time the debt
// takes to clear.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace krest::proxy {

struct ProxyConfig;

struct QuotaRates {
  double requests_per_s = 0;  // 0: no limit
  double produce_bytes_per_s = 0;
  double consume_bytes_per_s = 0;
  bool any() const { return requests_per_s > 0 || produce_bytes_per_s > 0 || consume_bytes_per_s > 0; }
};

struct QuotaSettings {
  QuotaRates defaults;                       // every caller without an entry of its own
  std::map<std::string, QuotaRates> callers;  // by caller; a rate left out takes the default's
  std::map<std::string, QuotaRates> groups;   // by group, shared by its members; a rate left out: no limit
  double burst_s = 1;
  std::size_t max_callers = 10000;  // callers tracked at most (idle ones are forgotten first)
  bool any() const;
};

// From the quota_* settings. Throws std::invalid_argument naming the entry and the problem.
QuotaSettings quota_settings(const ProxyConfig& config);
// One quota_callers (or quota_groups, `setting`) entry: "NAME requests_per_s=N produce_bytes_per_s=N
// consume_bytes_per_s=N" (any of the three), over `defaults`. Throws std::invalid_argument.
std::pair<std::string, QuotaRates> parse_caller_quota(const std::string& entry, const QuotaRates& defaults,
                                                      const char* setting = "quota_callers");

class CallerQuotas {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Kind { produce, consume, other };

  explicit CallerQuotas(QuotaSettings settings);

  // Whether any quota is set: until one is, nothing is counted or tracked.
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  // New rates (a reload): callers keep their counts and what they owe, within the new bursts.
  void update(QuotaSettings settings);

  struct Refusal {
    const char* quota;  // requests_per_s, produce_bytes_per_s or consume_bytes_per_s
    double rate;
    std::chrono::seconds retry_after;
    std::string group;  // the group whose shared quota it is; empty: the caller's own
  };
  // Whether `caller` may start a request of `kind` now; when it may, the request is counted.
  // `groups`: the caller's token's groups that have a quota.
  std::optional<Refusal> admit(const std::string& caller, const std::vector<std::string>& groups, Kind kind,
                               Clock::time_point now);
  // The same refusal from a request's header, before its body is read (a large body from a caller
  // in debt is not worth receiving), without counting a request that is let through: admit() will
  // when its body has come.
  std::optional<Refusal> screen(const std::string& caller, const std::vector<std::string>& groups, Kind kind,
                                Clock::time_point now);
  // What an admitted request moved: body bytes in (produce) and out (consume), uncompressed.
  void charge(const std::string& caller, const std::vector<std::string>& groups, Kind kind, std::uint64_t bytes,
              Clock::time_point now);

  // Per-caller counters for /metrics.
  void append_metrics(std::string& out) const;
  std::size_t tracked() const;

 private:
  std::optional<Refusal> check(const std::string& caller, const std::vector<std::string>& groups, Kind kind,
                               Clock::time_point now, bool count);
  struct Bucket {
    double tokens = 0;
    double rate = 0;  // 0: no limit
    void refill(double seconds, double burst_s);
  };
  struct Caller {
    Bucket requests, produce, consume;
    Clock::time_point at;
    std::uint64_t admitted = 0, bytes_in = 0, bytes_out = 0;
    std::uint64_t refused[3] = {0, 0, 0};  // by quota, in Refusal::quota's order
  };
  static void set_rates(Caller& c, const QuotaRates& rates, double burst_s);
  void refill(Caller& c, Clock::time_point now) const;
  Caller& caller_state(const std::string& caller, Clock::time_point now);
  // A configured group's state (null for a group without a quota), refilled to `now`.
  Caller* group_state(const std::string& group, Clock::time_point now);
  // The refusal of a request of `kind` by `c`'s buckets (counted in c.refused), if they are in debt.
  std::optional<Refusal> in_debt(Caller& c, Kind kind) const;
  void forget_idle(Clock::time_point now);

  QuotaSettings settings_;
  mutable std::mutex mutex_;  // guards callers_, groups_ and forgotten_
  std::unordered_map<std::string, Caller> callers_;
  std::map<std::string, Caller> groups_;  // only groups in settings_.groups; guarded by mutex_
  Caller forgotten_;
  std::atomic<bool> enabled_{false};  // the counters of callers no longer tracked, summed (caller="(others)")
};

}  // namespace krest::proxy
