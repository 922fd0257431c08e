#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <list>
#include <thread>

#include "access/key_source.hpp"
#include "auth/jwt.hpp"
#include "http/http_connection.hpp"
#include "net/client_tls.hpp"

namespace krest::proxy {
namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kMaxDocumentBytes = 1 << 20;

// Entra issues v1 tokens (iss https://sts.windows.net/<tid>/) for resources such as HDInsight's,
// while its v2 discovery document names https://login.microsoftonline.com/<tid>/v2.0.
std::vector<std::string> issuers_from(const std::string& issuer) {
  std::vector<std::string> out{issuer};
  const std::string prefix = "https://login.microsoftonline.com/";
  if (issuer.rfind(prefix, 0) == 0 && issuer.size() > prefix.size() + 5 &&
      issuer.compare(issuer.size() - 5, 5, "/v2.0") == 0) {
    const std::string tenant = issuer.substr(prefix.size(), issuer.size() - prefix.size() - 5);
    if (tenant.find('/') == std::string::npos && tenant != "{tenantid}")
      out.push_back("https://sts.windows.net/" + tenant + "/");
  }
  return out;
}

class DiscoveredKeys final : public KeySource {
 public:
  explicit DiscoveredKeys(DiscoveredKeysOptions o)
      : options_(std::move(o)),
        tls_(net::make_client_tls(options_.tls)),
        authority_(net::parse_base_url(options_.authority)) {
    asio::co_spawn(ioc_, routine(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~DiscoveredKeys() override {
    ioc_.stop();
    thread_.join();
  }

  std::shared_ptr<const TrustedKeys> current() const override { return std::atomic_load(&keys_); }

  asio::awaitable<std::shared_ptr<const TrustedKeys>> refresh_for_unknown_key() override {
    co_return co_await asio::co_spawn(ioc_, on_unknown_key(), asio::use_awaitable);
  }

  std::string describe() const override { return "the discovery document of " + options_.authority; }

 private:
  // Everything below runs on ioc_'s one thread.
  asio::awaitable<void> routine() {
    auto backoff = std::chrono::milliseconds(500);
    asio::steady_timer timer(ioc_);
    for (;;) {
      const bool ok = co_await fetch();
      timer.expires_after(ok ? options_.refresh_interval : backoff);
      backoff = ok ? std::chrono::milliseconds(500) : std::min(backoff * 2, std::chrono::milliseconds(60000));
      co_await timer.async_wait(kTuple);
    }
  }

  asio::awaitable<std::shared_ptr<const TrustedKeys>> on_unknown_key() {
    if (fetching_) {
      asio::steady_timer wait(ioc_, Clock::time_point::max());
      auto at = waiters_.insert(waiters_.end(), &wait);
      co_await wait.async_wait(kTuple);
      waiters_.erase(at);
    } else if (Clock::now() - last_fetch_ >= options_.min_refresh_interval) {
      co_await fetch();
    }
    co_return current();
  }

  asio::awaitable<bool> fetch() {
    fetching_ = true;
    last_fetch_ = Clock::now();
    std::string error;
    try {
      co_await fetch_keys();
    } catch (const std::exception& e) {
      error = e.what();
    }
    fetching_ = false;
    for (auto* w : waiters_) w->cancel();
    if (!error.empty()) {
      spdlog::error("auth: fetching signing keys from {}: {}", options_.authority, error);
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<json::value> get_json(const net::BaseUrl& server, const std::string& target) {
    http::HttpConnection connection(ioc_.get_executor(), server, tls_,
                                    http::ConnectionOptions{options_.timeout, options_.timeout, kMaxDocumentBytes});
    http::Request req{boost::beast::http::verb::get, target, 11};
    req.set(boost::beast::http::field::accept, "application/json");
    auto x = co_await connection.exchange(req);
    connection.close();
    const std::string url = server.to_string() + target;
    if (x.ec) throw std::runtime_error("GET " + url + ": " + x.ec.message());
    if (x.response.result_int() != 200)
      throw std::runtime_error("GET " + url + ": HTTP " + std::to_string(x.response.result_int()));
    boost::system::error_code ec;
    json::value v = json::parse(x.response.body(), ec);
    if (ec || !v.is_object()) throw std::runtime_error("GET " + url + ": not a JSON object");
    co_return v;
  }

  asio::awaitable<void> fetch_keys() {
    json::value discovery = co_await get_json(authority_, authority_.path + "/v2.0/.well-known/openid-configuration");
    const auto& d = discovery.as_object();
    const json::value* jwks_uri = d.if_contains("jwks_uri");
    const json::value* issuer = d.if_contains("issuer");
    if (jwks_uri == nullptr || !jwks_uri->is_string())
      throw std::runtime_error("the discovery document has no jwks_uri");
    net::BaseUrl keys_server = net::parse_base_url(std::string(jwks_uri->get_string()));
    // The key URL comes from the configured authority's own document; it must keep its transport.
    if (authority_.tls && !keys_server.tls) throw std::runtime_error("the discovery document's jwks_uri is not https");
    const std::string keys_path = keys_server.path.empty() ? "/" : keys_server.path;
    keys_server.path.clear();
    json::value jwks = co_await get_json(keys_server, keys_path);

    auto keys = std::make_shared<TrustedKeys>();
    keys->keys = auth::parse_jwks(json::serialize(jwks));
    if (keys->keys.empty()) throw std::runtime_error("the JWK set holds no RS256 signing key");
    if (issuer != nullptr && issuer->is_string()) keys->issuers = issuers_from(std::string(issuer->get_string()));
    const bool first = current() == nullptr;
    std::atomic_store(&keys_, std::shared_ptr<const TrustedKeys>(std::move(keys)));
    if (first) spdlog::info("auth: signing keys obtained from {}", options_.authority);
  }

  DiscoveredKeysOptions options_;
  asio::ssl::context tls_;
  net::BaseUrl authority_;
  std::list<asio::steady_timer*> waiters_;
  bool fetching_ = false;
  Clock::time_point last_fetch_{};
  std::shared_ptr<const TrustedKeys> keys_;
  std::thread thread_;
  // Last, so it is destroyed first: the coroutine frames it still holds refer to the members above.
  asio::io_context ioc_{1};
};

}  // namespace

std::unique_ptr<KeySource> make_discovered_keys(DiscoveredKeysOptions options) {
  return std::make_unique<DiscoveredKeys>(std::move(options));
}

}  // namespace krest::proxy
