#pragma once

// ResponseParser: a minimal, incremental HTTP/1.x response parser for the load generator.
//
// It frames responses, it does not keep them: the status line and the three headers that decide
// framing and connection reuse (Content-Length, Transfer-Encoding, Connection) are read; body
// bytes are counted and dropped. Framing follows RFC 9112 §6.3:
//
//   1xx (except 101)            interim: skipped, the final response follows
//   HEAD request, 204, 304      no body, whatever Content-Length says
//   Transfer-Encoding: chunked  chunk sizes (extensions ignored), then trailers up to a blank line
//   Content-Length: N           N bytes
//   otherwise                   the body runs to end of stream (finish_eof())
//
// The caller owns the buffer. feed() is given the bytes not yet consumed and says how many it
// consumed; bytes it did not consume (an incomplete header block, or bytes past the end of the
// response) stay with the caller, who appends the next read to them and feeds again. The header
// block must fit in the caller's buffer; kMaxHeaderBytes bounds it.
//
// Not thread-safe; one parser per connection, reset() before each response.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::load {

class ResponseParser {
 public:
  // A header block longer than this is an error (the caller's buffer must hold at least this).
  static constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

  enum class State {
    need_more,  // consumed what it could; feed more bytes (or call finish_eof at end of stream)
    complete,   // one response framed; status(), keep_alive(), body_bytes() are valid
    error,      // malformed or unsupported; error_detail() says why; the connection is unusable
  };

  struct FeedResult {
    std::size_t consumed = 0;  // bytes of the input that belong to this response
    State state = State::need_more;
  };

  // Prepares for the response to a request with the given method: `head_request` means the
  // response carries no body whatever its headers say.
  void reset(bool head_request);

  // Consumes bytes of the current response from `data`. On complete, `consumed` stops at the end of
  // the response; extra bytes are left to the caller. On need_more with consumed < data.size(), the
  // tail is an incomplete header block: keep it, append, feed again from its start.
  FeedResult feed(std::string_view data);

  // Tells the parser the peer closed the stream. Returns complete when the response was delimited
  // by end of stream (no length, not chunked) and its headers were read, error otherwise. An end of
  // stream before any byte of a response is an error too: the caller decides whether it matters.
  State finish_eof();

  int status() const { return status_; }
  // True when the connection may carry another request after this response.
  bool keep_alive() const { return keep_alive_; }
  // Body bytes seen (after de-chunking), and bytes of the whole response including headers.
  std::uint64_t body_bytes() const { return body_bytes_; }
  std::uint64_t wire_bytes() const { return wire_bytes_; }
  // True once any byte of the response was consumed.
  bool started() const { return wire_bytes_ > 0 || scanned_ > 0; }
  std::string_view error_detail() const { return error_; }

 private:
  enum class Phase {
    headers,
    body_length,
    body_eof,
    chunk_size,
    chunk_ext,
    chunk_size_lf,
    chunk_data,
    chunk_data_cr,
    chunk_data_lf,
    trailer_start,
    trailer_line,
    trailer_end_lf,
    done,
    failed,
  };

  // Parses one complete header block [0, size) (ending with the blank line). Sets the phase.
  bool parse_headers(std::string_view block);
  FeedResult fail(std::size_t consumed, std::string_view why);

  bool head_request_ = false;
  Phase phase_ = Phase::headers;
  int status_ = 0;
  bool keep_alive_ = true;
  std::uint64_t remaining_ = 0;  // body_length: bytes left; chunk_data: bytes left in the chunk
  std::uint64_t chunk_size_ = 0;
  int chunk_digits_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::uint64_t wire_bytes_ = 0;
  std::size_t scanned_ = 0;  // header bytes already searched for the blank line
  std::string_view error_;
};

}  // namespace cairn::load
