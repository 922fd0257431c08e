#pragma once
#include <string>

namespace krest {

// How the engine checks the servers it talks to (the proxy and the token authority).
struct TlsOptions {
  std::string ca_file;    // PEM bundle to trust; empty: the system's trust store
  bool insecure = false;  // skip certificate and host name checks (never the default)
};

}  // namespace krest
