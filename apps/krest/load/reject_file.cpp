#include "load/reject_file.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "api/json_text.hpp"
#include "cli/atomic_file.hpp"
#include "api/utf8.hpp"

namespace krest::cli {

RejectFile::~RejectFile() {
  if (out_) std::fclose(out_);
}

void RejectFile::write(std::string_view file, std::uint64_t line, std::string_view error, std::string_view input) {
  if (!out_) {
    out_ = std::fopen(path_.c_str(), append_ ? "ae" : "we");
    if (!out_) throw std::runtime_error("cannot write the reject file '" + path_ + "': " + std::strerror(errno));
  }
  std::string text = "{\"file\":";
  api::append_json_string(text, file);
  text += ",\"line\":";
  api::append_int(text, static_cast<std::int64_t>(line));
  text += ",\"error\":";
  api::append_json_string(text, api::valid_utf8(error) ? error : std::string_view("(message not UTF-8)"));
  if (api::valid_utf8(input)) {
    text += ",\"input\":";
    api::append_json_string(text, input);
  } else {
    std::vector<unsigned char> encoded(4 * ((input.size() + 2) / 3) + 1);
    int n = EVP_EncodeBlock(encoded.data(), reinterpret_cast<const unsigned char*>(input.data()),
                            static_cast<int>(input.size()));
    text += ",\"input_base64\":\"";
    text.append(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(n));
    text += '"';
  }
  text += "}\n";
  if (std::fwrite(text.data(), 1, text.size(), out_) != text.size())
    throw std::runtime_error("cannot write the reject file '" + path_ + "': " + std::strerror(errno));
  ++count_;
}

void RejectFile::sync() {
  if (out_) sync_file(out_, path_);
}

}  // namespace krest::cli
