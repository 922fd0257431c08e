#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cli/connection.hpp"

namespace krest::cli {

struct TopicsOptions {
  std::string action;  // list | create | delete | describe (the subcommand given)
  std::string topic;
  std::int64_t partitions = 0;          // 0: the proxy's default
  std::int64_t replication_factor = 0;  // 0: the proxy's default
  std::vector<std::string> properties;  // KEY=VALUE
  bool if_not_exists = false;
  bool json = false;
};


}  // namespace krest::cli
