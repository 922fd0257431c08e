#include "quota/caller_quotas.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "config/proxy_config.hpp"
#include "median_time.hpp"
#include "metrics/prometheus.hpp"

namespace krest::proxy {

namespace {

constexpr const char* kQuotaNames[3] = {"requests_per_s", "produce_bytes_per_s", "consume_bytes_per_s"};

double* rate_named(QuotaRates& rates, std::string_view name) {
  if (name == kQuotaNames[0]) return &rates.requests_per_s;
  if (name == kQuotaNames[1]) return &rates.produce_bytes_per_s;
  if (name == kQuotaNames[2]) return &rates.consume_bytes_per_s;
  return nullptr;
}

std::chrono::seconds seconds_to_clear(double missing, double rate) {
  const double wait = std::ceil(std::max(missing, 0.0) / rate);
  return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(wait, 3600.0))));
}

}  // namespace

bool QuotaSettings::any() const {
  if (defaults.any()) return true;
  const auto some = [](const auto& entries) {
    return std::any_of(entries.begin(), entries.end(), [](const auto& e) { return e.second.any(); });
  };
  return some(callers) || some(groups);
}

std::pair<std::string, QuotaRates> parse_caller_quota(const std::string& entry, const QuotaRates& defaults,
                                                      const char* setting) {
  const std::string where = std::string(setting) + " entry '" + entry + "'";
  std::istringstream in(entry);
  std::string caller, part;
  in >> caller;
  if (caller.empty() || caller.find('=') != std::string::npos)
    throw std::invalid_argument(where + " does not start with a name (\"NAME requests_per_s=N ...\")");
  QuotaRates rates = defaults;
  bool named = false;
  while (in >> part) {
    const auto eq = part.find('=');
    double* rate = eq == std::string::npos ? nullptr : rate_named(rates, std::string_view(part).substr(0, eq));
    if (rate == nullptr)
      throw std::invalid_argument(where + ": '" + part +
                                  "' is not requests_per_s=N, produce_bytes_per_s=N or consume_bytes_per_s=N");
    const std::string_view number = std::string_view(part).substr(eq + 1);
    std::int64_t value = -1;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size() || value < 0)
      throw std::invalid_argument(where + ": '" + part + "' needs a whole number, 0 or more (0: no limit)");
    *rate = static_cast<double>(value);
    named = true;
  }
  if (!named) throw std::invalid_argument(where + " names no rate");
  return {caller, rates};
}

QuotaSettings quota_settings(const ProxyConfig& config) {
  QuotaSettings s;
  s.defaults.requests_per_s = static_cast<double>(config.quota_requests_per_s);
  s.defaults.produce_bytes_per_s = static_cast<double>(config.quota_produce_bytes_per_s);
  s.defaults.consume_bytes_per_s = static_cast<double>(config.quota_consume_bytes_per_s);
  s.burst_s = static_cast<double>(config.quota_burst_ms) / 1000.0;
  for (const auto& entry : config.quota_callers) {
    auto [caller, rates] = parse_caller_quota(entry, s.defaults);
    if (!s.callers.emplace(caller, rates).second)
      throw std::invalid_argument("quota_callers names '" + caller + "' twice");
  }
  for (const auto& entry : config.quota_groups) {
    auto [group, rates] = parse_caller_quota(entry, QuotaRates{}, "quota_groups");
    if (!s.groups.emplace(group, rates).second) throw std::invalid_argument("quota_groups names '" + group + "' twice");
  }
  return s;
}

void CallerQuotas::Bucket::refill(double seconds, double burst_s) {
  if (rate > 0) tokens = std::min(rate * burst_s, tokens + rate * seconds);
}

void CallerQuotas::set_rates(Caller& c, const QuotaRates& rates, double burst_s) {
  const double new_rates[3] = {rates.requests_per_s, rates.produce_bytes_per_s, rates.consume_bytes_per_s};
  Bucket* buckets[3] = {&c.requests, &c.produce, &c.consume};
  for (int i = 0; i < 3; ++i) {
    Bucket& b = *buckets[i];
    // A bucket that had no limit starts full; one that had keeps what it holds (or owes).
    if (b.rate <= 0) b.tokens = new_rates[i] * burst_s;
    b.rate = new_rates[i];
    b.tokens = std::min(b.tokens, b.rate * burst_s);
  }
}

void CallerQuotas::refill(Caller& c, Clock::time_point now) const {
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - c.at).count());
  for (Bucket* b : {&c.requests, &c.produce, &c.consume}) b->refill(elapsed, settings_.burst_s);
  c.at = std::max(c.at, now);
}

CallerQuotas::CallerQuotas(QuotaSettings settings) : settings_(std::move(settings)), enabled_(settings_.any()) {}

void CallerQuotas::update(QuotaSettings settings) {
  std::lock_guard lock(mutex_);
  settings_ = std::move(settings);
  for (auto& [name, c] : callers_) {
    const auto configured = settings_.callers.find(name);
    set_rates(c, configured != settings_.callers.end() ? configured->second : settings_.defaults, settings_.burst_s);
  }
  // A group's state goes with its entry; one kept takes its new rates as a caller's do.
  std::erase_if(groups_, [&](const auto& g) { return !settings_.groups.contains(g.first); });
  for (auto& [name, g] : groups_) set_rates(g, settings_.groups.at(name), settings_.burst_s);
  enabled_.store(settings_.any(), std::memory_order_relaxed);
}

CallerQuotas::Caller& CallerQuotas::caller_state(const std::string& caller, Clock::time_point now) {
  auto it = callers_.find(caller);
  if (it == callers_.end()) {
    if (callers_.size() >= settings_.max_callers) forget_idle(now);
    const auto configured = settings_.callers.find(caller);
    const QuotaRates& rates = configured != settings_.callers.end() ? configured->second : settings_.defaults;
    Caller fresh;
    set_rates(fresh, rates, settings_.burst_s);
    fresh.at = now;
    return callers_.emplace(caller, fresh).first->second;
  }
  refill(it->second, now);
  return it->second;
}

CallerQuotas::Caller* CallerQuotas::group_state(const std::string& group, Clock::time_point now) {
  const auto configured = settings_.groups.find(group);
  if (configured == settings_.groups.end()) return nullptr;
  auto [it, added] = groups_.try_emplace(group);
  if (added) {
    set_rates(it->second, configured->second, settings_.burst_s);
    it->second.at = now;
  } else {
    refill(it->second, now);
  }
  return &it->second;
}

std::optional<CallerQuotas::Refusal> CallerQuotas::screen(const std::string& caller,
                                                          const std::vector<std::string>& groups, Kind kind,
                                                          Clock::time_point now) {
  return check(caller, groups, kind, now, false);
}

std::optional<CallerQuotas::Refusal> CallerQuotas::admit(const std::string& caller,
                                                         const std::vector<std::string>& groups, Kind kind,
                                                         Clock::time_point now) {
  return check(caller, groups, kind, now, true);
}

std::optional<CallerQuotas::Refusal> CallerQuotas::in_debt(Caller& c, Kind kind) const {
  auto refuse = [&](int which, const Bucket& b, double needed) {
    ++c.refused[which];
    return Refusal{kQuotaNames[which], b.rate, seconds_to_clear(needed - b.tokens, b.rate), {}};
  };
  if (c.requests.rate > 0 && c.requests.tokens < 1) return refuse(0, c.requests, 1);
  // Byte buckets may go into debt (a request's size is taken after it); a caller in debt waits.
  if (kind == Kind::produce && c.produce.rate > 0 && c.produce.tokens <= 0) return refuse(1, c.produce, 1);
  if (kind == Kind::consume && c.consume.rate > 0 && c.consume.tokens <= 0) return refuse(2, c.consume, 1);
  return std::nullopt;
}

std::optional<CallerQuotas::Refusal> CallerQuotas::check(const std::string& caller,
                                                         const std::vector<std::string>& groups, Kind kind,
                                                         Clock::time_point now, bool count) {
  std::lock_guard lock(mutex_);
  Caller& c = caller_state(caller, now);
  if (auto refused = in_debt(c, kind)) return refused;
  std::vector<Caller*> shared;
  for (const auto& g : groups) {
    Caller* state = group_state(g, now);
    if (state == nullptr) continue;
    if (auto refused = in_debt(*state, kind)) {
      refused->group = g;
      return refused;
    }
    shared.push_back(state);
  }
  if (!count) return std::nullopt;
  shared.push_back(&c);
  for (Caller* s : shared) {
    if (s->requests.rate > 0) s->requests.tokens -= 1;
    ++s->admitted;
  }
  return std::nullopt;
}

void CallerQuotas::charge(const std::string& caller, const std::vector<std::string>& groups, Kind kind,
                          std::uint64_t bytes, Clock::time_point now) {
  if (kind == Kind::other || bytes == 0) return;
  std::lock_guard lock(mutex_);
  auto take = [&](Caller& c) {
    Bucket& b = kind == Kind::produce ? c.produce : c.consume;
    if (b.rate > 0) b.tokens -= static_cast<double>(bytes);
    (kind == Kind::produce ? c.bytes_in : c.bytes_out) += bytes;
  };
  take(caller_state(caller, now));
  for (const auto& g : groups)
    if (Caller* state = group_state(g, now)) take(*state);
}

void CallerQuotas::forget_idle(Clock::time_point now) {
  auto fold = [this](const Caller& c) {
    forgotten_.admitted += c.admitted;
    forgotten_.bytes_in += c.bytes_in;
    forgotten_.bytes_out += c.bytes_out;
    for (int i = 0; i < 3; ++i) forgotten_.refused[i] += c.refused[i];
  };
  auto erase_where = [&](auto&& pred) {
    for (auto it = callers_.begin(); it != callers_.end();) {
      if (!settings_.callers.contains(it->first) && pred(it->second)) {
        fold(it->second);
        it = callers_.erase(it);
      } else {
        ++it;
      }
    }
  };
  // A caller whose buckets have filled up again owes nothing: forgetting it changes no answer.
  erase_where([&](const Caller& c) {
    const double idle = std::chrono::duration<double>(now - c.at).count();
    for (const Bucket* b : {&c.requests, &c.produce, &c.consume})
      if (b->rate > 0 && b->tokens + b->rate * idle < b->rate * settings_.burst_s) return false;
    return true;
  });
  if (callers_.size() < settings_.max_callers) return;
  // Still too many (a flood of distinct callers): the least recently seen half goes.
  const auto cutoff = median_time(callers_, [](const Caller& c) { return c.at; });
  erase_where([&](const Caller& c) { return c.at <= cutoff; });
}

std::size_t CallerQuotas::tracked() const {
  std::lock_guard lock(mutex_);
  return callers_.size();
}

void CallerQuotas::append_metrics(std::string& out) const {
  namespace m = krest::metrics;
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, const Caller*>> all;
  all.reserve(callers_.size() + 1);
  for (const auto& [name, c] : callers_) all.emplace_back(m::label_value(name), &c);
  std::sort(all.begin(), all.end());
  all.emplace_back("(others)", &forgotten_);
  m::append_family(out, "krest_proxy_caller_requests_total", "counter",
                   "API requests let in, by caller (the token's application or object id, or the address "
                   "without auth); (others) sums callers no longer tracked.");
  for (const auto& [label, c] : all)
    m::append_sample(out, "krest_proxy_caller_requests_total", "caller=\"" + label + "\"",
                     static_cast<double>(c->admitted));
  m::append_family(out, "krest_proxy_caller_body_bytes_total", "counter",
                   "Uncompressed produce bodies in and consume bodies out, by caller.");
  for (const auto& [label, c] : all) {
    m::append_sample(out, "krest_proxy_caller_body_bytes_total", "caller=\"" + label + "\",direction=\"in\"",
                     static_cast<double>(c->bytes_in));
    m::append_sample(out, "krest_proxy_caller_body_bytes_total", "caller=\"" + label + "\",direction=\"out\"",
                     static_cast<double>(c->bytes_out));
  }
  m::append_family(out, "krest_proxy_quota_refused_total", "counter",
                   "Requests refused with 429 because their caller was over a quota, by caller and quota.");
  for (const auto& [label, c] : all)
    for (int i = 0; i < 3; ++i)
      m::append_sample(out, "krest_proxy_quota_refused_total",
                       "caller=\"" + label + "\",quota=\"" + kQuotaNames[i] + "\"",
                       static_cast<double>(c->refused[i]));
  if (groups_.empty()) return;
  m::append_family(out, "krest_proxy_group_requests_total", "counter",
                   "API requests let in, by group with a quota of its own (quota_groups).");
  for (const auto& [name, g] : groups_)
    m::append_sample(out, "krest_proxy_group_requests_total", "group=\"" + m::label_value(name) + "\"",
                     static_cast<double>(g.admitted));
  m::append_family(out, "krest_proxy_group_quota_refused_total", "counter",
                   "Requests refused with 429 because their group was over its shared quota, by group and quota.");
  for (const auto& [name, g] : groups_)
    for (int i = 0; i < 3; ++i)
      m::append_sample(out, "krest_proxy_group_quota_refused_total",
                       "group=\"" + m::label_value(name) + "\",quota=\"" + kQuotaNames[i] + "\"",
                       static_cast<double>(g.refused[i]));
}

}  // namespace krest::proxy
