#pragma once
// Building responses, and the one place where errors become HTTP statuses and the spec's error body.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <string>

namespace krest::proxy {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

Response json_reply(const Request& req, std::string body, unsigned status = 200);
Response error_reply(unsigned version, unsigned status, std::string_view message);
// 503 with Retry-After: 1 because what is held in memory is at max_body_memory_bytes (`limit`):
// a request body that would pass it, or a consume page with no room left.
Response memory_busy_reply(unsigned version, std::uint64_t limit);

}  // namespace krest::proxy
