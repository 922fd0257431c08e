#include "load/reject_file.hpp"

#include <openssl/evp.h>

#include <sys/stat.h>

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

std::string RejectFile::set_aside_earlier() {
  struct stat st {};
  if (append_ || ::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return {};
  std::uint64_t lines = 0;
  if (std::FILE* in = std::fopen(path_.c_str(), "re")) {
    for (int c; (c = std::getc(in)) != EOF;) lines += c == '\n';
    std::fclose(in);
  }
  const std::string aside = path_ + ".old";
  if (::rename(path_.c_str(), aside.c_str()) != 0)
    throw std::runtime_error("cannot move the earlier reject file '" + path_ + "' aside to '" + aside +
                             "': " + std::strerror(errno));
  return "'" + path_ + "' held " + std::to_string(lines) + " reject(s) of an earlier load: moved to '" + aside + "'";
}

std::string RejectFile::begin_entry(std::string_view file, std::uint64_t line, std::string_view error) const {
  std::string text = "{\"file\":";
  api::append_json_string(text, file);
  text += ",\"line\":";
  api::append_int(text, static_cast<std::int64_t>(line));
  text += ",\"error\":";
  api::append_json_string(text, api::valid_utf8(error) ? error : std::string_view("(message not UTF-8)"));
  return text;
}

// `"name":"text"` when the input is UTF-8, else `"name_base64":"..."`.
void RejectFile::append_input(std::string& text, const char* name, std::string_view input) const {
  text += ",\"";
  text += name;
  if (api::valid_utf8(input)) {
    text += "\":";
    api::append_json_string(text, input);
    return;
  }
  std::vector<unsigned char> encoded(4 * ((input.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(encoded.data(), reinterpret_cast<const unsigned char*>(input.data()),
                          static_cast<int>(input.size()));
  text += "_base64\":\"";
  text.append(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(n));
  text += '"';
}

void RejectFile::finish_entry(std::string& text) {
  text += "}\n";
  if (!out_) {
    out_ = std::fopen(path_.c_str(), append_ ? "ae" : "we");
    if (!out_) throw std::runtime_error("cannot write the reject file '" + path_ + "': " + std::strerror(errno));
  }
  if (std::fwrite(text.data(), 1, text.size(), out_) != text.size())
    throw std::runtime_error("cannot write the reject file '" + path_ + "': " + std::strerror(errno));
  ++count_;
}

void RejectFile::write(std::string_view file, std::uint64_t line, std::string_view error, std::string_view input) {
  std::string text = begin_entry(file, line, error);
  append_input(text, "input", input);
  finish_entry(text);
}

void RejectFile::write_too_long(std::string_view file, std::uint64_t line, std::uint64_t input_bytes,
                                std::uint64_t limit, std::string_view prefix) {
  std::string error = "longer than --max-line-bytes (" + std::to_string(input_bytes) + " bytes, the limit is " +
                      std::to_string(limit) + ")";
  std::string text = begin_entry(file, line, error);
  text += ",\"input_bytes\":";
  api::append_int(text, static_cast<std::int64_t>(input_bytes));
  text += ",\"limit\":";
  api::append_int(text, static_cast<std::int64_t>(limit));
  append_input(text, "input_prefix", prefix);
  finish_entry(text);
}

void RejectFile::sync() {
  if (out_) sync_file(out_, path_);
}

}  // namespace krest::cli
