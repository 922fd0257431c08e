#pragma once
// The token endpoint's answer (RFC 6749 §5.1 and §5.2, as Entra ID and the development authority
// give it), read without trusting it: what the engine's TokenSource does with every response.
#include <chrono>
#include <string>
#include <string_view>

namespace krest::auth {

struct TokenResponse {
  std::string token;
  std::chrono::seconds lifetime{0};
  std::string error;  // empty on success
  bool permanent = false;  // the authority refused the request itself: asking again cannot help
};

TokenResponse read_token_response(int status, std::string_view body);

}  // namespace krest::auth
