#include "api/topic_name.hpp"

namespace krest::api {

std::optional<std::string> check_topic_name(std::string_view name) {
  if (name.empty()) return std::string("the topic name is empty");
  if (name.size() > 249)
    return "the topic name is " + std::to_string(name.size()) + " characters long; at most 249 are allowed";
  if (name == "." || name == "..") return "'" + std::string(name) + "' is not a valid topic name";
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return "invalid topic name: only letters, digits, '.', '_' and '-' are allowed";
  }
  return std::nullopt;
}

}  // namespace krest::api
