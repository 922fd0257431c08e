#pragma once
// Every error response: {"error_code": <http status>, "message": "<what was wrong, naming the field>"}.
#include <string>
#include <string_view>

namespace krest::api {

std::string write_error_body(int status, std::string_view message);

// Client side: the message of an error body, or the body itself (trimmed to 500 bytes) when it is
// not of that shape: the reference documents no error body, so other proxies may send anything.
std::string read_error_message(std::string_view body);

}  // namespace krest::api
