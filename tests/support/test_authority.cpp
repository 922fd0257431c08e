#include "support/test_authority.hpp"

#include <fstream>
#include <stdexcept>

namespace krest::test {

void write_authority_file(const std::filesystem::path& path, int token_lifetime_s, const std::string& extra_apps,
                          int key_rotation_s) {
  std::ofstream out(path);
  out << R"({"tenant":")" << kTenant << R"(","token_lifetime_s":)" << token_lifetime_s << R"(,"key_rotation_s":)"
      << key_rotation_s << R"(,"applications":[{"name":"tests","client_id":")" << kClientId << R"(","secret_hash":")"
      << kClientSecretHash << R"(","groups":[")" << kAllowedGroup << R"("]})" << extra_apps << "]}";
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace krest::test
