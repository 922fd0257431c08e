#pragma once
// The registered application every test proxy's development authority knows, so tests run with
// authentication on, as users do. The hash is scrypt with a small cost (log2 N = 10) to keep
// token requests cheap under sanitizers; it was made with Python's hashlib.scrypt, an
// independent check of the proxy's own hashing.
#include <filesystem>
#include <string>

namespace krest::test {

inline constexpr const char* kTenant = "krest-dev";
inline constexpr const char* kClientId = "krest-test-app";
inline constexpr const char* kClientSecret = "krest-test-secret-0123456789";
inline constexpr const char* kClientSecretHash =
    "scrypt$10$8$1$a3Jlc3QtdGVzdC1zYWx0LTAxMjM$OPme5UQdL9uvJ-Dfj8VoVthrEx4zfViFHD5Jv63vB2o";
inline constexpr const char* kAllowedGroup = "krest-test-writers";
inline constexpr const char* kScope = "https://hib.azurehdinsight.net/.default";

// Writes an authority file registering kClientId in kAllowedGroup, plus `extra_apps` (a JSON
// fragment of further application objects, each preceded by a comma).
void write_authority_file(const std::filesystem::path& path, int token_lifetime_s = 3600,
                          const std::string& extra_apps = {}, int key_rotation_s = 86400);

}  // namespace krest::test
