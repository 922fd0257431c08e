#include "http/authorized_exchange.hpp"

namespace krest::http {

boost::asio::awaitable<Exchange> authorized_exchange(HttpConnection& connection, TokenSource& tokens, Request& req,
                                                     const HeaderCallback& on_header) {
  std::string authorization = co_await tokens.authorization();
  for (int attempt = 0;; ++attempt) {
    if (authorization.empty())
      req.erase(boost::beast::http::field::authorization);
    else
      req.set(boost::beast::http::field::authorization, authorization);
    // The header callback is for the answer that counts: not for a 401 that will be retried.
    HeaderCallback pass_on;
    if (on_header)
      pass_on = [&](const ResponseHeader& h) {
        if (h.result_int() != 401 || attempt == 1) on_header(h);
      };
    Exchange x = co_await connection.exchange(req, pass_on);
    if (x.ec || x.response.result_int() != 401 || attempt == 1) co_return x;
    // A static token or no-auth mode cannot do better: report the 401 as it is.
    try {
      authorization = co_await tokens.reauthorize(authorization);
    } catch (const TokenError&) {
      co_return x;
    }
  }
}

}  // namespace krest::http
