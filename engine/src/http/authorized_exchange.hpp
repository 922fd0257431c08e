#pragma once
// One API request with the token source's Authorization header. A 401 means the proxy did not act
// on the request, so after one token refresh it is sent again, whatever its method; a second 401
// is returned to the caller.
#include <boost/asio/awaitable.hpp>

#include "http/http_connection.hpp"
#include "krest/token_source.hpp"

namespace krest::http {

// Throws TokenError when no token can be had.
boost::asio::awaitable<Exchange> authorized_exchange(HttpConnection& connection, TokenSource& tokens, Request& req,
                                                     const HeaderCallback& on_header = {});

}  // namespace krest::http
