#pragma once

// run_load: drives keep-alive HTTP/1.1 connections against one endpoint (or the same host's
// --also-port replicas, connections spread over them) for a fixed time.
//
// Each I/O thread runs its own single-threaded io_context with an equal share of the
// connections; a connection is one coroutine that writes the request, reads and frames the
// response (ResponseParser), records the latency in its thread's histogram and repeats until the
// deadline. A response that asks for `Connection: close` (or ends with the stream) is counted and
// the connection reopened; a connection or framing failure is counted as an error and the
// connection reopened (after a short pause when connecting fails). Over https each connection is
// an Asio ssl stream on the same loop (the handshake is part of connecting; one TLS session per
// keep-alive connection, so a long run measures the record layer, not handshakes). Responses
// completing after the deadline, and requests in flight at it, are not counted, so
// rps = requests / duration.

#include <array>
#include <cstdint>
#include <string>

#include "bench/load/histogram.h"
#include "bench/load/options.h"

namespace cairn::load {

struct LoadStats {
  std::uint64_t requests = 0;  // responses completed before the deadline, any status
  std::uint64_t non2xx = 0;    // of which the status was not 2xx
  std::uint64_t connect_errors = 0;
  std::uint64_t read_errors = 0;  // reset, or end of stream with a response outstanding
  std::uint64_t write_errors = 0;
  std::uint64_t parse_errors = 0;  // malformed response
  std::uint64_t timeouts = 0;
  std::uint64_t reconnects = 0;  // connections reopened after Connection: close
  std::uint64_t bytes_read = 0;  // from the sockets, headers included
  std::uint64_t body_bytes = 0;
  std::array<std::uint64_t, 600> status_counts{};
  LatencyHistogram latency;  // microseconds
  double elapsed_s = 0.0;
  std::string first_error;  // a sample error message, empty when none

  std::uint64_t errors() const {
    return connect_errors + read_errors + write_errors + parse_errors + timeouts;
  }
  void merge(const LoadStats& other);
};

// Resolves the target and runs the load; blocks for about options.duration_s. Returns false and
// sets `error` when the target cannot be resolved or a thread fails; connection failures during
// the run are counted in the stats, not reported here.
bool run_load(const Options& options, const RequestTemplate& request, LoadStats& stats,
              std::string& error);

}  // namespace cairn::load
