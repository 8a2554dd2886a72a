// upstream::Client: an HTTP/1.1 client for one upstream registry (Beast, C++20 coroutines),
// used by the pull-through cache.
//
// What it does for the caller:
//  - plain HTTP and HTTPS (OpenSSL: certificate verification against the system store or a CA
//    bundle, host name check, SNI; `insecure` skips verification);
//  - authentication: basic (username/password) and the registry bearer-token flow: a 401 with
//    `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` makes the client fetch a token
//    from the realm (with basic credentials when configured), cache it per repository until it
//    expires, and retry once; later requests for that repository send it up front;
//  - redirects (301/302/303/307/308) for GET and HEAD, at most ClientOptions::max_redirects,
//    never sending Authorization to a host other than the upstream's own;
//  - a deadline on connecting and on every read and write step;
//  - at most ClientOptions::max_connections connections open at once (callers beyond that wait),
//    idle keep-alive connections reused.
//
// Thread-safety: one Client is shared by every coroutine of the server; its coroutines run on
// the awaiting coroutine's executor. A Reply is used by one coroutine at a time.
//
// Lifetimes: a Reply must not outlive its Client. Idle connections keep sockets of the
// io_context that opened them: destroy the Client (or call close_idle()) before that io_context.
#pragma once

#include "storage/common/result.h"

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::upstream {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lowercase

struct Endpoint {
  std::string host;      // the name clients use for it: "docker.io", "ghcr.io", "upstream.test"
  std::string url;       // "https://registry-1.docker.io" or "http://127.0.0.1:5001" (no path)
  std::string username;  // basic credentials (also sent to the token realm); empty: none
  std::string password;
  std::string ca_file;  // PEM bundle to verify the upstream with; empty: the system's
  // Hosts besides the upstream's own to which its credentials may go as a bearer token realm
  // (Docker Hub's auth.docker.io is trusted for registry-1.docker.io without being named). A
  // challenge naming any other realm host gets an anonymous token request.
  std::vector<std::string> token_hosts;
  bool insecure = false;  // do not verify the upstream's certificate
  std::chrono::nanoseconds revalidate = std::chrono::minutes(1);  // tag revalidation interval
};

struct ClientOptions {
  size_t max_connections = 16;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};  // each read or write step
  int max_redirects = 5;
};

// The answer to a request: status and headers at once; the body is read with read_some.
// Destroying a Reply before its body was read closes its connection.
class Reply {
 public:
  virtual ~Reply() = default;
  unsigned status = 0;
  Headers headers;
  std::optional<uint64_t> content_length;  // when the upstream sent one
  std::string final_url;                   // after redirects

  // The first value of header `name` (lowercase), or empty.
  std::string_view header(std::string_view name) const;
  // Reads the next piece of the body into `buf`; 0 at its end. An error when the connection
  // broke, timed out, or the body ended before Content-Length.
  virtual boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> read_some(
      std::span<std::byte> buf) = 0;
  // Reads the whole body, at most `max` bytes. Errors: io (broken, timed out), invalid_argument
  // (longer than max).
  boost::asio::awaitable<Result<std::string>> read_all(size_t max);
};

class Client {
 public:
  // Throws std::invalid_argument when endpoint.url is malformed, and boost::system::system_error
  // when endpoint.ca_file cannot be read (start-up).
  Client(Endpoint endpoint, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Endpoint& endpoint() const noexcept;

  // Closes every idle keep-alive connection, and from now on every connection given back (for
  // shutdown: their sockets belong to an io_context that goes). Thread-safe.
  void close_idle();

  // Sends `method` ("GET" or "HEAD"; "POST" with a `body` for notifications) for `target` (path
  // and query on the upstream, e.g. "/v2/library/alpine/manifests/latest") with extra `headers`
  // (e.g. accept). `repository` ("library/alpine") keys the bearer-token cache. Returns the
  // final reply after auth and redirects (GET and HEAD only follow them), whatever its status (a
  // 404 or 500 is a Reply, not an error). A request with a body is sent again (once) only when a
  // kept-alive connection turned out closed before any answer. Errors: unavailable (cannot
  // connect, TLS failed, timed out, too many redirects, a token could not be had — the detail
  // says which).
  boost::asio::awaitable<Result<std::unique_ptr<Reply>>> send(std::string method,
                                                              std::string target, Headers headers,
                                                              std::string repository,
                                                              std::string body = {});

  // Sends one request to the endpoint's origin exactly as given, for callers that authenticate
  // requests themselves (s3::Client signs each with SigV4): `target` is the path and query as
  // sent, `headers` are added as they are (the Host header is host_header(), and `body`, when
  // not empty or for PUT and POST, goes with its Content-Length). No Authorization of the
  // client's own, no bearer-token flow, no redirect followed: whatever the origin answers is the
  // Reply. Shares the pool, deadlines and the one resend over a kept-alive connection found
  // closed with send(). Errors: unavailable (cannot connect, TLS failed, timed out).
  boost::asio::awaitable<Result<std::unique_ptr<Reply>>> send_direct(std::string method,
                                                                     std::string target,
                                                                     Headers headers,
                                                                     std::string body = {});
  // The Host header requests to the endpoint carry: "host" or "host:port" (a port other than
  // the scheme's default).
  std::string host_header() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Splits "http[s]://host[:port]" into its parts; nullopt when malformed (another scheme, a
// path, userinfo, an empty host).
struct ParsedUrl {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::string port;  // "80"/"443" when absent
};
std::optional<ParsedUrl> parse_url(std::string_view url);

}  // namespace cairn::upstream
