// Message framing: the pieces of reading and writing an HTTP/1.1 message head that need no
// parser — header name spelling, the request target's form, and whether a request's body
// framing is unambiguous (RFC 9112). Plain functions over strings (no Beast), used by the
// connection code in server/http_server.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::server {

// The usual wire spelling of a lowercase header name: "docker-upload-uuid" →
// "Docker-Upload-UUID" (some clients print names verbatim).
std::string canonical_header(std::string_view name);

// RFC 9112 §3.2.2: the path and query of an absolute-form target ("http://host:port/v2/?n=1" →
// "/v2/?n=1"; "http://host" → "/"; "http://host?q" → "?q", which the caller prefixes with "/").
// Any other target (origin form, "*", garbage) is returned as it is.
std::string_view origin_form(std::string_view target);

// RFC 9112 §6.1, §6.3: true when a request's body framing must be refused (400, then close)
// rather than guessed at: Transfer-Encoding together with Content-Length, or transfer codings
// other than exactly one, final "chunked" (cairn decodes no other coding, and a list that does
// not end in "chunked" leaves the body's end unknown: request smuggling). `transfer_encodings`
// are the values of every Transfer-Encoding field, in order; empty: none was sent.
bool ambiguous_framing(const std::vector<std::string_view>& transfer_encodings,
                       bool has_content_length);

}  // namespace cairn::server
