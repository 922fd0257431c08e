#pragma once
// Building responses, and the one place where errors become HTTP statuses and the spec's error body.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace krest::proxy {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

Response json_reply(const Request& req, std::string body, unsigned status = 200);
Response error_reply(unsigned version, unsigned status, std::string_view message);

}  // namespace krest::proxy
