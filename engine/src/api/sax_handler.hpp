#pragma once
// What every SAX handler of the API's bodies shares: no size limits of Boost.JSON's own (the HTTP
// layer bounds bodies), comments and number fragments ignored, nothing to do at document edges.
#include <boost/json/basic_parser.hpp>

#include <cstddef>
#include <limits>

namespace krest::api {

struct SaxHandlerBase {
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }
};

}  // namespace krest::api
