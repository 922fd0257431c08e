#pragma once
// Client secrets are stored only as scrypt hashes: "scrypt$<log2 N>$<r>$<p>$<salt>$<hash>" with
// base64url salt and hash, so a leaked authority file does not leak the secrets.
#include <string>
#include <string_view>

namespace krest::proxy {

// log2_n 14, r 8, p 1: about 16 MiB and tens of milliseconds per check.
std::string hash_secret(std::string_view secret, int log2_n = 14);

// A hash of `secret` with the same cost parameters as `like` (a stored hash), a fresh salt.
std::string hash_secret_like(std::string_view secret, std::string_view like);

// Constant-time in the secret. False for a malformed stored hash too.
bool secret_matches(std::string_view secret, std::string_view stored);

// Whether `stored` has the format above (checked when the authority file is read).
bool is_secret_hash(std::string_view stored);

}  // namespace krest::proxy
