#pragma once
// The development authority's signing keys, kept in <data_dir>/authority/keys so tokens outlive a
// restart. The newest key is published before it signs anything ("next"), the one before it signs
// ("current"), and a retired key stays published while tokens it signed may still be valid; so a
// validator that fetched the JWK set once knows the key of every token it is shown.
#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "access/key_source.hpp"
#include "auth/rsa_key.hpp"

namespace krest::proxy {

struct KeyRingOptions {
  std::filesystem::path dir;
  std::chrono::seconds rotation{86400};  // how long a key signs
  std::chrono::seconds retention{3600};  // published after it stops signing (>= token lifetime)
  int bits = 2048;
};

class KeyRing {
 public:
  // Loads the keys in `dir`, creating the directory and the first two keys when absent. Throws
  // std::runtime_error naming a file that cannot be read.
  explicit KeyRing(KeyRingOptions options);

  struct Signer {
    std::string kid;
    auth::RsaKey key;
  };
  // The current signing key, rotating first when it is due. Thread-safe.
  Signer signer();
  void rotate();  // now, whatever the schedule

  // The published keys: as a JWK set document, and as a key map for in-process validation.
  boost::json::object jwks() const;
  std::shared_ptr<const KeyMap> published() const;

  // RFC 7638 JWK thumbprint: the key id.
  static std::string thumbprint(const auth::RsaKey& key);

 private:
  struct Entry {
    std::int64_t created;  // unix seconds
    std::string kid;
    auth::RsaKey key;
    std::filesystem::path file;
  };
  void add_key(std::int64_t now);
  void prune(std::int64_t now);
  void publish();

  KeyRingOptions options_;
  mutable std::mutex mutex_;  // guards keys_ and published_
  std::vector<Entry> keys_;   // oldest first; the last is "next", the one before "current"
  std::shared_ptr<const KeyMap> published_;
};

}  // namespace krest::proxy
