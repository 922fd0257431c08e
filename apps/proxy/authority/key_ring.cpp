#include "authority/key_ring.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <boost/json/array.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "auth/base64url.hpp"
#include "auth/jwt.hpp"

namespace krest::proxy {
namespace fs = std::filesystem;
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void write_private(const fs::path& file, const std::string& pem) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
    out << pem;
    out.flush();
    if (!out) throw std::runtime_error("authority: cannot write key file " + tmp.string());
  }
  fs::rename(tmp, file);
}

}  // namespace

std::string KeyRing::thumbprint(const auth::RsaKey& key) {
  // Members in lexicographic order, no whitespace (RFC 7638 §3).
  const std::string canonical = "{\"e\":\"" + auth::base64url_encode(key.exponent()) + "\",\"kty\":\"RSA\",\"n\":\"" +
                                auth::base64url_encode(key.modulus()) + "\"}";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &size, EVP_sha256(), nullptr);
  return auth::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

KeyRing::KeyRing(KeyRingOptions options) : options_(std::move(options)) {
  fs::create_directories(options_.dir);
  fs::permissions(options_.dir, fs::perms::owner_all);
  for (const auto& entry : fs::directory_iterator(options_.dir)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".pem") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream pem;
    pem << in.rdbuf();
    try {
      const std::int64_t created = std::stoll(name.substr(0, name.find('-')));
      auto key = auth::RsaKey::from_private_pem(pem.str());
      keys_.push_back(Entry{created, thumbprint(key), key, entry.path()});
    } catch (const std::exception& ex) {
      throw std::runtime_error("authority: signing key file " + entry.path().string() + ": " + ex.what());
    }
  }
  std::sort(keys_.begin(), keys_.end(), [](const Entry& a, const Entry& b) { return a.created < b.created; });
  const auto now = unix_now();
  prune(now);
  // Distinct creation times keep the order (and so which key signs) the same after a restart.
  while (keys_.size() < 2) add_key(keys_.empty() ? now : std::max(now, keys_.back().created + 1));
  std::lock_guard lock(mutex_);
  publish();
}

void KeyRing::add_key(std::int64_t now) {
  auto key = auth::RsaKey::generate(options_.bits);
  const std::string kid = thumbprint(key);
  const fs::path file = options_.dir / (std::to_string(now) + "-" + kid + ".pem");
  write_private(file, key.private_pem());
  keys_.push_back(Entry{now, kid, key, file});
}

// Key i stopped signing when key i+2 was created (that made key i+1 current).
void KeyRing::prune(std::int64_t now) {
  while (keys_.size() > 2 && keys_[2].created + options_.retention.count() < now) {
    std::error_code ignored;
    fs::remove(keys_.front().file, ignored);
    keys_.erase(keys_.begin());
  }
}

void KeyRing::publish() {
  auto map = std::make_shared<KeyMap>();
  for (const auto& e : keys_) map->insert_or_assign(e.kid, e.key);
  published_ = std::move(map);
}

void KeyRing::rotate() {
  std::lock_guard lock(mutex_);
  // A rotation within the same second as the last one still needs a file name of its own.
  const auto now = std::max(unix_now(), keys_.back().created + 1);
  add_key(now);
  prune(now);
  publish();
  spdlog::info("authority: signing key rotated; now signing with {}", keys_[keys_.size() - 2].kid);
}

KeyRing::Signer KeyRing::signer() {
  {
    std::lock_guard lock(mutex_);
    if (unix_now() - keys_.back().created < options_.rotation.count()) {
      const auto& current = keys_[keys_.size() - 2];
      return {current.kid, current.key};
    }
  }
  rotate();
  std::lock_guard lock(mutex_);
  const auto& current = keys_[keys_.size() - 2];
  return {current.kid, current.key};
}

boost::json::object KeyRing::jwks() const {
  std::lock_guard lock(mutex_);
  boost::json::array keys;
  for (const auto& e : keys_) keys.push_back(auth::public_jwk(e.key, e.kid));
  return boost::json::object{{"keys", std::move(keys)}};
}

std::shared_ptr<const KeyMap> KeyRing::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

}  // namespace krest::proxy
