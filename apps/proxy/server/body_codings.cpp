#include "server/body_codings.hpp"

#include <boost/beast/http/field.hpp>

#include <cstdio>

namespace krest::proxy {
namespace http = boost::beast::http;

namespace {

// Request bodies smaller than this arrive in a packet or two: their transfer time says nothing.
constexpr std::uint64_t kTimedBodyBytes = 4096;

coding::Coding request_coding(const Request& req, bool& known) {
  known = true;
  const auto it = req.find(http::field::content_encoding);
  if (it == req.end()) return coding::Coding::identity;
  auto c = coding::parse_coding(it->value());
  known = c.has_value();
  return c.value_or(coding::Coding::identity);
}

}  // namespace

BodyCodings body_codings(const ProxyConfig& config) {
  BodyCodings b;
  b.accepted.gzip = config.compression == "auto" || config.compression == "gzip";
  b.accepted.zstd = config.compression == "auto" || config.compression == "zstd";
  b.level = static_cast<int>(config.compression_level);
  b.min_bytes = static_cast<std::uint64_t>(config.compression_min_bytes);
  return b;
}

std::optional<Response> refuse_coding(const Request& header, const BodyCodings& codings) {
  bool known = false;
  const auto c = request_coding(header, known);
  if (known && codings.accepted.has(c)) return std::nullopt;
  const auto it = header.find(http::field::content_encoding);
  Response res = error_reply(header.version(), 415,
                             "request bodies in Content-Encoding '" + std::string(it->value()) +
                                 "' are not accepted here; accepted: " + codings.accepted.header_value());
  res.set(http::field::accept_encoding, codings.accepted.header_value());
  return res;
}

bool has_content_coding(const Request& req) { return req.find(http::field::content_encoding) != req.end(); }

std::optional<Response> decode_body(Request& req, std::uint64_t limit,
                                    const std::string& limit_described, bool& past_limit) {
  past_limit = false;
  bool known = false;
  const auto c = request_coding(req, known);
  if (c == coding::Coding::identity) {
    req.erase(http::field::content_encoding);
    return std::nullopt;
  }
  std::string plain;
  const auto result = coding::decode(c, req.body(), limit, plain);
  if (result.status == coding::DecodeStatus::too_large) {
    past_limit = true;
    return error_reply(req.version(), 413, "request body decodes to more than " + limit_described);
  }
  if (result.status == coding::DecodeStatus::corrupt)
    return error_reply(req.version(), 400,
                       "request body is not valid " + std::string(coding::name(c)) + ": " + result.message);
  req.body() = std::move(plain);
  req.erase(http::field::content_encoding);
  return std::nullopt;
}

void finish_response(const Request& req, Response& res, const BodyCodings& codings,
                     const std::optional<BodyTransfer>& body) {
  if (!codings.accepted.empty()) res.set(http::field::accept_encoding, codings.accepted.header_value());
  if (body && body->wire_bytes >= kTimedBodyBytes) {
    char timing[48];
    std::snprintf(timing, sizeof timing, "body;dur=%.3f",
                  std::chrono::duration<double, std::milli>(body->time).count());
    res.set("Server-Timing", timing);
  }
  if (res.body().size() < codings.min_bytes || res.find(http::field::content_encoding) != res.end()) return;
  const auto asked = req.find(http::field::accept_encoding);
  if (asked == req.end()) return;
  const auto c = coding::choose(asked->value(), codings.accepted);
  if (c == coding::Coding::identity) return;
  std::string packed;
  coding::encode(c, res.body(), codings.level, packed);
  res.set(http::field::vary, "Accept-Encoding");
  if (packed.size() >= res.body().size()) return;  // incompressible: as it is
  res.body() = std::move(packed);
  res.set(http::field::content_encoding, coding::name(c));
  res.prepare_payload();
}

}  // namespace krest::proxy
