#pragma once

// Command line, target URL and the pre-serialized request of cairn-load.
//
//   cairn-load --url URL [--method M] [--header 'K: V']... [--connections N] [--duration SECONDS]
//              [--body-file F] [--threads N] [--timeout SECONDS] [--random-range SIZE[:LEN]]
//              [--cacert FILE] [--insecure] [--also-port PORT]...
//
// URLs are http:// or https://host[:port][/path][?query] (no userinfo; a fragment is dropped).
// https verifies the server against --cacert (or the system's CAs) unless --insecure.
// Everything here is synchronous and free of Asio; errors come back as strings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::load {

struct Url {
  bool tls = false;         // https://
  std::string host;         // name or IPv4 literal; an IPv6 literal without its brackets
  std::uint16_t port = 80;  // 443 for https:// without a port
  std::string authority;    // host[:port] as written in the URL, for the Host header
  std::string target;       // path and query, "/" when the URL has none
};

// Parses `text`. Returns nullopt and sets `error` when it is not an http:// or https:// URL.
std::optional<Url> parse_url(std::string_view text, std::string& error);

// Random ranges: each request asks for `length` bytes at a random offset in [0, size - length].
struct RandomRange {
  std::uint64_t size = 0;
  std::uint64_t length = 65536;
};

struct Options {
  Url url;
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value", in order
  int connections = 64;
  int threads = 0;  // 0: min(2, connections)
  double duration_s = 10.0;
  double timeout_s = 10.0;  // a request unanswered this long counts as an error; its
                            // connection is closed and reopened
  std::string body_file;
  std::optional<RandomRange> random_range;
  // TLS (https:// only; either flag with an http:// URL is a usage error).
  std::string cacert;     // PEM CA bundle the server's certificate must chain to; empty: the
                          // system's default CAs
  bool insecure = false;  // no certificate or host name verification
  // Replicas on the URL's host: connection i goes to the URL's port when i % (1 + n) is 0, else
  // to also_ports[i % (1 + n) - 1] (requests spread round-robin by connection, as over N
  // servers behind no load balancer). Host headers still name the URL's authority.
  std::vector<std::uint16_t> also_ports;
};

// Parses argv. Returns nullopt and sets `error` (a one-line message) on bad usage; sets
// `want_help` and returns nullopt for --help.
std::optional<Options> parse_options(int argc, char** argv, std::string& error, bool& want_help);

// Usage text for --help and errors.
std::string_view usage();

// Parses a duration: seconds as a decimal number, or with an `ms`, `s` or `m` suffix. Returns a
// negative value when malformed.
double parse_duration(std::string_view text);

// The request bytes. A request is `prefix`, then (with random ranges) one `Range: bytes=a-b\r\n`
// line made per request, then `suffix` (the blank line and the body). Without random ranges
// `suffix` is empty and `prefix` is the whole request.
struct RequestTemplate {
  std::string prefix;
  std::string suffix;
  bool head = false;  // a HEAD request: responses carry no body
};

// Serializes an HTTP/1.1 request for `options` with `body`. Adds `Host` unless a header supplies
// it, and `Content-Length` when there is a body or the method usually carries one (POST, PUT,
// PATCH) unless a header supplies it.
RequestTemplate build_request(const Options& options, std::string_view body);

}  // namespace cairn::load
