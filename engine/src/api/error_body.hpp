#pragma once
// Every error response: {"error_code": <http status>, "message": "<what was wrong, naming the field>"}.
#include <string>
#include <string_view>

namespace krest::api {

std::string write_error_body(int status, std::string_view message);

}  // namespace krest::api
