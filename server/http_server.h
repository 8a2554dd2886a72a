// HttpServer: the listener and one coroutine per connection (Beast, C++20 coroutines).
//
// One io_context is run by `threads` threads. Each accepted connection gets a strand and a
// coroutine that loops: read the request header (bounded size and time), hand the Request to
// the Router (the body is streamed through Request::body as the handler reads it), write the
// Response (small bodies from memory, file ranges with sendfile(2)), log one JSON line, and go
// on while the connection is kept alive. Timeouts bound every read and write, so a slow or
// silent client cannot hold a connection forever: the first byte of each request must come
// within the idle timeout, the whole header within the header timeout, each body read within
// the I/O timeout, and a body must keep up a minimum average rate. No exception leaves a
// connection: one that escapes is logged and the connection closed.
//
// With TLS files the listener speaks HTTPS only (see server/tls.h); the same connection code
// serves both (it is generic over the stream), except that file bodies go out with sendfile(2)
// on plain connections and in bounded pieces through OpenSSL on TLS ones.
//
// stop() is graceful: the acceptor closes, idle connections close, requests in flight finish
// until `shutdown_deadline`, then run() returns.
#pragma once

#include "server/request_observer.h"
#include "server/router.h"
#include "server/tls.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

namespace cairn::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 5000;  // 0 picks a free port; see HttpServer::port()
  int threads = 0;       // 0: the number of cores
  size_t max_header_bytes = 64 * 1024;
  size_t max_connections = 10'000;
  std::chrono::milliseconds header_timeout{30'000};  // to receive a whole request header
  std::chrono::milliseconds idle_timeout{60'000};    // between requests on a kept-alive connection
  std::chrono::milliseconds io_timeout{60'000};      // for each body read or response write step
  // A request body must arrive at this average rate (bytes per second): the time spent waiting
  // for its bytes may reach io_timeout plus one second per `min_body_rate` bytes received, then
  // the read fails (a trickled body cannot hold a connection). 0: no minimum.
  uint64_t min_body_rate = 16 * 1024;
  std::chrono::milliseconds shutdown_deadline{10'000};
  bool handle_signals = false;         // stop on SIGINT and SIGTERM; with TLS, SIGHUP reloads
  TlsFiles tls;                        // HTTPS when tls.cert is set
  std::ostream* access_log = nullptr;  // one JSON line per request; null: no log
  // Told of every request answered and every connection (metrics); null: none. Must outlive
  // run(): after it returns the server tells it nothing more.
  RequestObserver* observer = nullptr;
  // Builds the answer when a handler throws (the last-resort boundary): a 500 in the API's
  // error format. Must not throw.
  std::function<Response(const Request&, std::string_view what)> on_exception;
};

// The TLS files given at start cannot be used (missing, malformed, key and certificate apart).
struct TlsSetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class HttpServer {
 public:
  // Binds the listener at once. Throws std::system_error when the address cannot be bound and
  // TlsSetupError when options.tls names files that do not make a TLS context (start-up only).
  HttpServer(ServerOptions options, const Router& router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (useful with port 0).
  uint16_t port() const;
  // Serves until stop() (or a signal, when handled); blocks the calling thread, which becomes
  // one of the I/O threads.
  void run();
  // Starts a graceful stop. Thread-safe; may be called before or during run().
  void stop();
  // Reads the TLS files again: on success handshakes from now on use the new certificate and
  // key (open connections keep theirs) and "" is returned; on failure the old ones stay, and
  // the message is logged and returned. "TLS is off" when it is. Thread-safe; blocks on the
  // file system (SIGHUP calls it when signals are handled).
  std::string reload_tls();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::server
