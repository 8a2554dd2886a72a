// HttpServer: the listener and one coroutine per connection (Beast, C++20 coroutines).
//
// One io_context is run by `threads` threads. Each accepted connection gets a strand and a
// coroutine that loops: read the request header (bounded size and time), hand the Request to
// the Router (the body is streamed through Request::body as the handler reads it), write the
// Response (small bodies from memory, file ranges with sendfile(2)), log one JSON line, and go
// on while the connection is kept alive. Timeouts bound every read and write, so a slow or
// silent client cannot hold a connection forever.
//
// stop() is graceful: the acceptor closes, idle connections close, requests in flight finish
// until `shutdown_deadline`, then run() returns.
#pragma once

#include "server/router.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
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
  std::chrono::milliseconds shutdown_deadline{10'000};
  bool handle_signals = false;         // stop on SIGINT and SIGTERM
  std::ostream* access_log = nullptr;  // one JSON line per request; null: no log
  // Builds the answer when a handler throws (the last-resort boundary): a 500 in the API's
  // error format. Must not throw.
  std::function<Response(const Request&, std::string_view what)> on_exception;
};

class HttpServer {
 public:
  // Binds the listener at once. Throws std::system_error when the address cannot be bound
  // (start-up only).
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

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::server
