// Bearer tokens and JWK sets: what an attacker controls before any signature is checked.
#include <stdexcept>

#include "access/token_check.hpp"
#include "auth/jwt.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  std::string why;
  (void)krest::auth::decode_jwt(text, why);
  krest::proxy::TokenPolicy policy{{"https://issuer"}, {"aud"}, {"group"}, {}, 60};
  (void)krest::proxy::check_token(text, {}, policy, 1700000000);
  try {
    (void)krest::auth::parse_jwks(text);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
