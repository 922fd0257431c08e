#pragma once
// Text from a client (a client id, a grant type, a path) as it may go into a log line or an error
// message: control characters and backslashes escaped, so that a client id with a newline cannot
// forge a log line, and long text cut short.
#include <string>
#include <string_view>

namespace krest::proxy {

std::string printable(std::string_view text, std::size_t max_bytes = 256);

}  // namespace krest::proxy
