// Preloaded into krest by bench/run_network_bench.sh (LD_PRELOAD): every getaddrinfo() of a host
// name returns KREST_BENCH_LOOKUP_MS later, as a lookup that asks a DNS server that far away does
// when nothing on the machine caches answers (Debian runs no caching resolver by default). An IP
// address is answered at once, as the real resolver asks no server for one.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace {
using GetAddrInfo = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

bool is_address(const char* node) {
  unsigned char parsed[sizeof(in6_addr)];
  return inet_pton(AF_INET, node, parsed) == 1 || inet_pton(AF_INET6, node, parsed) == 1;
}
}  // namespace

extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  static const auto real = reinterpret_cast<GetAddrInfo>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (const char* ms = std::getenv("KREST_BENCH_LOOKUP_MS"); ms && node && !is_address(node))
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atol(ms)));
  return real(node, service, hints, res);
}
