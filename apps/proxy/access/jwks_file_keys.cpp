#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "access/key_source.hpp"
#include "auth/jwt.hpp"

namespace krest::proxy {
namespace {

class JwksFileKeys final : public KeySource {
 public:
  explicit JwksFileKeys(std::string path) : path_(std::move(path)) {
    std::lock_guard lock(mutex_);
    load();
  }

  std::shared_ptr<const TrustedKeys> current() const override { return std::atomic_load(&keys_); }

  boost::asio::awaitable<std::shared_ptr<const TrustedKeys>> refresh_for_unknown_key() override {
    {
      std::lock_guard lock(mutex_);
      std::error_code ec;
      const auto mtime = std::filesystem::last_write_time(path_, ec);
      if (!ec && mtime != loaded_mtime_) {
        try {
          load();
          spdlog::info("auth: reloaded the JWK set {}", path_);
        } catch (const std::exception& e) {
          spdlog::error("auth: keeping the previous keys: {}", e.what());
        }
      }
    }
    co_return current();
  }

  std::string describe() const override { return "JWK set file " + path_; }

  std::string reload() override {
    std::lock_guard lock(mutex_);
    try {
      load();
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  }

 private:
  void load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw std::runtime_error("auth: cannot read the JWK set file '" + path_ + "'");
    std::ostringstream text;
    text << in.rdbuf();
    auto keys = std::make_shared<TrustedKeys>();
    try {
      keys->keys = auth::parse_jwks(text.str());
    } catch (const std::exception& e) {
      throw std::runtime_error("auth: the JWK set file '" + path_ + "': " + e.what());
    }
    if (keys->keys.empty())
      throw std::runtime_error("auth: the JWK set file '" + path_ + "' holds no RS256 signing key");
    std::error_code ec;
    loaded_mtime_ = std::filesystem::last_write_time(path_, ec);
    std::atomic_store(&keys_, std::shared_ptr<const TrustedKeys>(std::move(keys)));
  }

  std::string path_;
  std::mutex mutex_;  // one reload at a time
  std::filesystem::file_time_type loaded_mtime_{};
  std::shared_ptr<const TrustedKeys> keys_;
};

}  // namespace

std::unique_ptr<KeySource> make_jwks_file_keys(const std::string& path) { return std::make_unique<JwksFileKeys>(path); }

}  // namespace krest::proxy
