#pragma once
// The order a connection tries a host's addresses in. A name that resolves to several addresses
// (DNS round robin over several proxies) would otherwise have every connection of every client
// try the resolver's first address, so one proxy would carry everything: the n-th connection of a
// pool starts at the n-th address instead, and goes on through the others if it does not answer.
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace krest::net {

inline std::vector<boost::asio::ip::tcp::endpoint> address_order(std::vector<boost::asio::ip::tcp::endpoint> addresses,
                                                                  std::size_t first) {
  if (addresses.size() > 1)
    std::rotate(addresses.begin(), addresses.begin() + static_cast<std::ptrdiff_t>(first % addresses.size()),
                addresses.end());
  return addresses;
}

}  // namespace krest::net
