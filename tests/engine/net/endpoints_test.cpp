#include <catch2/catch.hpp>

#include <stdexcept>

#include "net/address_order.hpp"
#include "net/base_url.hpp"

using krest::net::parse_endpoints;

TEST_CASE("endpoints: one URL or several used as one, each checked, one path for all", "[unit][engine]") {
  auto one = parse_endpoints("https://proxy.example:8443/kafka");
  REQUIRE(one.size() == 1);
  CHECK(one[0].host == "proxy.example");
  CHECK(one[0].port == "8443");
  CHECK(one[0].path == "/kafka");

  auto two = parse_endpoints("https://a.example, https://b.example:9443");
  REQUIRE(two.size() == 2);
  CHECK(two[0].host == "a.example");
  CHECK(two[0].port == "443");
  CHECK(two[1].host == "b.example");
  CHECK(two[1].port == "9443");

  auto v6 = parse_endpoints("https://[::1]:1,http://127.0.0.1:2");
  REQUIRE(v6.size() == 2);
  CHECK(v6[0].host == "::1");
  CHECK_FALSE(v6[1].tls);

  CHECK_THROWS_AS(parse_endpoints(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoints("https://a,"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoints("https://a,,https://b"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoints("https://a,b.example"), std::invalid_argument);  // no scheme
  try {
    parse_endpoints("https://a/x,https://b/y");
    FAIL("different paths were taken");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("same path") != std::string::npos);
  }
}

TEST_CASE("a name with several addresses: the n-th connection tries the n-th first, then the rest in turn",
          "[unit][engine]") {
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  const std::vector<tcp::endpoint> three = {{make_address("10.0.0.1"), 443},
                                            {make_address("10.0.0.2"), 443},
                                            {make_address("10.0.0.3"), 443}};
  for (std::size_t n = 0; n < 7; ++n) {
    const auto order = krest::net::address_order(three, n);
    REQUIRE(order.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(order[i] == three[(n + i) % 3]);
  }
  CHECK(krest::net::address_order({}, 5).empty());
  CHECK(krest::net::address_order({three[1]}, 5) == std::vector<tcp::endpoint>{three[1]});
}
