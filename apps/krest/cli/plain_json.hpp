#pragma once
// JSON for people and scripts alike: what a command prints with --json, numbers as plain decimals
// (1532301.36, never Boost.JSON's 1.5323013569723712E6), one object per line.
#include <string>

namespace boost::json {
class object;
}

namespace krest::cli {

// The object's text and a newline.
std::string plain_json(const boost::json::object& doc);

}  // namespace krest::cli
