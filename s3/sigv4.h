// AWS Signature Version 4 for S3: what signs a request in its Authorization header, and what
// presigns a URL (the signature in the query string). Pure functions over strings: no I/O, no
// clock (the caller passes the time as an x-amz-date stamp), thread-safe.
//
// The steps, each a function here so the tests can compare each with AWS's published examples:
//
//   canonical request   METHOD \n URI \n QUERY \n HEADERS \n\n SIGNED-HEADERS \n PAYLOAD-HASH
//                       (URI: each path segment URI-encoded once, '/' kept; QUERY: names and
//                       values URI-encoded, '/' too, sorted by encoded name then value; HEADERS:
//                       lowercase names, sorted, values trimmed with inner runs of spaces
//                       collapsed, repeated names joined with ',')
//   string to sign      AWS4-HMAC-SHA256 \n AMZ-DATE \n SCOPE \n hex(sha256(canonical request))
//   signing key         HMAC(HMAC(HMAC(HMAC("AWS4" + secret, DATE), REGION), "s3"), "aws4_request")
//   signature           hex(HMAC(signing key, string to sign))
//
// S3 also wants the payload's hash in `x-amz-content-sha256` (signed like any header): the hex
// SHA-256 of the body, or UNSIGNED-PAYLOAD (what presigned URLs use).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::s3 {

// The SHA-256 of no bytes, in hex: the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key;
  std::string secret_key;
};

// Name/value pairs, neither encoded: query parameters, or headers (names in any case).
using Params = std::vector<std::pair<std::string, std::string>>;

// What a signature covers.
struct Request {
  std::string method;        // "GET", "PUT", ...
  std::string path = "/";    // the URI's path, not encoded: "/bucket/some key"
  Params query;              // in any order; a parameter without a value has ""
  Params headers;            // every one is signed; must hold `host` (and for S3 x-amz-date,
                             // x-amz-content-sha256)
  std::string payload_hash;  // hex SHA-256 of the body, or kUnsignedPayload
};

// Lowercase hex of `bytes`.
std::string hex(std::string_view bytes);
// The SHA-256 of `data` in lowercase hex.
std::string sha256_hex(std::string_view data);
// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Percent-encodes every byte but the unreserved A-Z a-z 0-9 - _ . ~ (uppercase hex), and '/'
// too unless `keep_slash`: SigV4's URI-encode, for paths (keep_slash) and query parts.
std::string uri_encode(std::string_view s, bool keep_slash);

// "20130524T000000Z" for `t` (UTC, whole seconds).
std::string amz_date(std::chrono::system_clock::time_point t);

// The canonical query string: each name and value encoded, sorted, joined by '&' ("a=1&b=").
// Also what a request should send as its query, so the bytes signed are the bytes sent.
std::string canonical_query(const Params& query);
// The encoded path as signed and sent: "/bucket/some%20key".
std::string canonical_uri(std::string_view path);
// "host;range;x-amz-content-sha256;x-amz-date": the request's header names, lowercase, sorted.
std::string signed_headers(const Request& request);
// The six lines above, joined by '\n'.
std::string canonical_request(const Request& request);
// "20130524/us-east-1/s3/aws4_request" for an amz_date stamp.
std::string credential_scope(std::string_view amz_date, std::string_view region,
                             std::string_view service = "s3");
// The string to sign of `canonical` (a canonical_request) at `amz_date` in `region`.
std::string string_to_sign(std::string_view amz_date, std::string_view region,
                           std::string_view canonical, std::string_view service = "s3");
// The signing key (32 raw bytes) for `date` (YYYYMMDD), region and service.
std::string signing_key(std::string_view secret_key, std::string_view date, std::string_view region,
                        std::string_view service = "s3");
// The hex signature of `request` at `amz_date`.
std::string signature(const Request& request, const Credentials& credentials,
                      std::string_view region, std::string_view amz_date);
// The Authorization header's value: "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/
// aws4_request,SignedHeaders=...,Signature=...". The request's headers must already hold the
// x-amz-date equal to `amz_date`.
std::string authorization(const Request& request, const Credentials& credentials,
                          std::string_view region, std::string_view amz_date);

// The query string (without '?') of a presigned URL for `method` on `path` of `host` (the Host
// header the URL's user will send, e.g. "127.0.0.1:7480"): `query`, then X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires (`expires_seconds`, S3 allows 1..604800),
// X-Amz-SignedHeaders=host, all in canonical order, then X-Amz-Signature. The payload is
// UNSIGNED-PAYLOAD, as S3 requires of presigned requests.
std::string presign_query(std::string_view method, std::string_view path, Params query,
                          std::string_view host, const Credentials& credentials,
                          std::string_view region, std::string_view amz_date,
                          uint32_t expires_seconds);

}  // namespace cairn::s3
