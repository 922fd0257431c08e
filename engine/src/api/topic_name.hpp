#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace krest::api {

// Kafka's rules: 1 to 249 characters of [a-zA-Z0-9._-], and not "." or "..". Because of them a
// topic name is also a safe directory name for the embedded log. Returns why a name is invalid.
std::optional<std::string> check_topic_name(std::string_view name);

}  // namespace krest::api
