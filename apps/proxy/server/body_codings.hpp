#pragma once
// Content codings at krest-proxy's edge (RFC 9110 §8.4, RFC 7694): request bodies sent gzip or
// zstd are decoded before any handler sees them, within the route's body limit after decoding (a
// compressed bomb gets 413, never an out-of-memory); a coding not accepted gets 415 naming the
// ones that are; large response bodies are compressed when the client's Accept-Encoding asks; and
// every response lists the codings accepted in requests (Accept-Encoding), so that a client knows
// it may compress what it sends. A request body's transfer time is reported back in
// Server-Timing ("body;dur=MS"): what lets a client tell a slow link from a slow server.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "coding/content_coding.hpp"
#include "config/proxy_config.hpp"
#include "routes/reply.hpp"

namespace krest::proxy {

struct BodyCodings {
  coding::CodingSet accepted;  // in requests, and offered in responses
  int level = 1;
  std::uint64_t min_bytes = 1024;  // smaller responses go as they are
};

BodyCodings body_codings(const ProxyConfig& config);

// 415 for a request whose Content-Encoding is not accepted here; decided from the header alone.
std::optional<Response> refuse_coding(const Request& header, const BodyCodings& codings);

bool has_content_coding(const Request& req);

// Decodes a body sent with a content coding, in place (the Content-Encoding field removed), to at
// most `limit` bytes: past it `past_limit` is set and the answer is a 413 saying the body decodes
// to more than `limit_described`; 400 when it is not what it says it is.
std::optional<Response> decode_body(Request& req, std::uint64_t limit,
                                    const std::string& limit_described, bool& past_limit);

// How a request body came in: the time from its header to its last byte, and its size as sent.
struct BodyTransfer {
  std::chrono::steady_clock::duration time{};
  std::uint64_t wire_bytes = 0;
};

// A response made ready to go: compressed as the request allows, with the accepted codings and
// the request body's transfer time (for a body large enough for the time to mean something).
void finish_response(const Request& req, Response& res, const BodyCodings& codings,
                     const std::optional<BodyTransfer>& body);

}  // namespace krest::proxy
