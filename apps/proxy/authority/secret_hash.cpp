#include "authority/secret_hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <optional>
#include <stdexcept>
#include <vector>

#include "auth/base64url.hpp"

namespace krest::proxy {
namespace {

constexpr std::size_t kHashBytes = 32;

struct Parsed {
  int log2_n = 0, r = 0, p = 0;
  std::string salt, hash;
};

std::optional<Parsed> parse(std::string_view stored) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto end = stored.find('$', start);
    parts.push_back(stored.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return std::nullopt;
  Parsed out;
  try {
    out.log2_n = std::stoi(std::string(parts[1]));
    out.r = std::stoi(std::string(parts[2]));
    out.p = std::stoi(std::string(parts[3]));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto salt = auth::base64url_decode(parts[4]);
  auto hash = auth::base64url_decode(parts[5]);
  if (!salt || !hash || salt->size() < 16 || hash->size() != kHashBytes) return std::nullopt;
  // Bounds that keep a hostile file from asking for gigabytes or hours.
  if (out.log2_n < 10 || out.log2_n > 20 || out.r < 1 || out.r > 32 || out.p < 1 || out.p > 16) return std::nullopt;
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

std::string derive(std::string_view secret, const std::string& salt, int log2_n, int r, int p) {
  std::string key(kHashBytes, '\0');
  const std::uint64_t n = 1ULL << log2_n;
  const std::uint64_t max_mem = 128ULL * n * static_cast<std::uint64_t>(r) * 2 + (1 << 20);
  if (EVP_PBE_scrypt(secret.data(), secret.size(), reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n,
                     static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(p), max_mem,
                     reinterpret_cast<unsigned char*>(key.data()), key.size()) != 1)
    throw std::runtime_error("scrypt failed");
  return key;
}

}  // namespace

std::string hash_secret(std::string_view secret, int log2_n) {
  std::string salt(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("no random bytes for a salt");
  const int r = 8, p = 1;
  return "scrypt$" + std::to_string(log2_n) + "$" + std::to_string(r) + "$" + std::to_string(p) + "$" +
         auth::base64url_encode(salt) + "$" + auth::base64url_encode(derive(secret, salt, log2_n, r, p));
}

std::string hash_secret_like(std::string_view secret, std::string_view like) {
  auto parsed = parse(like);
  if (!parsed) return hash_secret(secret);
  std::string salt(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("no random bytes for a salt");
  return "scrypt$" + std::to_string(parsed->log2_n) + "$" + std::to_string(parsed->r) + "$" + std::to_string(parsed->p) +
         "$" + auth::base64url_encode(salt) + "$" +
         auth::base64url_encode(derive(secret, salt, parsed->log2_n, parsed->r, parsed->p));
}

bool secret_matches(std::string_view secret, std::string_view stored) {
  auto parsed = parse(stored);
  if (!parsed) return false;
  const std::string key = derive(secret, parsed->salt, parsed->log2_n, parsed->r, parsed->p);
  return CRYPTO_memcmp(key.data(), parsed->hash.data(), kHashBytes) == 0;
}

bool is_secret_hash(std::string_view stored) { return parse(stored).has_value(); }

}  // namespace krest::proxy
