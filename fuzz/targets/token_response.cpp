// Token endpoint answers as the engine reads them, and the form bodies the authority reads.
#include <stdexcept>

#include "auth/token_response.hpp"
#include "fuzz_input.hpp"
#include "http/form.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  for (int status : {200, 400, 401, 503}) (void)krest::auth::read_token_response(status, text);
  try {
    (void)krest::http::form_decode(text);
  } catch (const std::invalid_argument&) {  // a malformed or repeated field: refused by design
  }
  return 0;
}
