// RequestObserver: what the HTTP server tells an observer (the metrics layer) about its traffic,
// so that server/ counts nothing itself and includes no metrics library.
//
// The server calls on_request() once per request it answered (after the response was written,
// or failed to be), and on_connection_opened()/on_connection_closed() around each connection it
// accepted (one refused over --max-connections is neither).
//
// Thread-safety: called from every I/O thread at once, on the request's own strand; an
// implementation must be thread-safe, quick and must not block (no disk, no locks held long).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace cairn::server {

struct RequestRecord {
  // The route table's pattern that matched the path ("/v2/{name...}/blobs/{digest}"), or empty
  // when none did (404). Never the raw path.
  std::string_view route;
  std::string_view method;  // as the client sent it: bound it before using it as a label
  unsigned status = 0;
  std::chrono::steady_clock::duration duration{};  // from the header read to the response sent
  uint64_t bytes_in = 0;                           // request body bytes read
  uint64_t bytes_out = 0;                          // response bytes written (header included)
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void on_request(const RequestRecord& r) = 0;
  virtual void on_connection_opened() = 0;
  virtual void on_connection_closed() = 0;
};

}  // namespace cairn::server
