// The request and response values that pass between server/ and handlers/.
//
// server/ parses HTTP with Beast and hands a handler a Request: method, path, query, headers,
// and a BodyReader that streams the body in bounded pieces (it is never read whole unless a
// handler asks). The handler returns a Response: status, headers, and either a small in-memory
// body or a file range that server/ sends with sendfile(2). Neither type names Beast, so
// handlers/ compile without it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::server {

// Header names are stored lowercase; values verbatim.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Streams a request body. Used by one coroutine at a time.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads the next piece of the body into `buf`; returns 0 at the end of the body. An error
  // means the client went away, or broke the framing (then the error is errc::bad_message);
  // the connection is then closed.
  virtual boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> read_some(
      std::span<std::byte> buf) = 0;
  // Bytes read so far.
  virtual uint64_t consumed() const = 0;
};

// What the router's guard established about the caller (see Router::set_guard). server/ only
// carries it; the guard's owner defines and reads it (handlers/auth.h).
class Caller {
 public:
  virtual ~Caller() = default;
};

struct Request {
  std::string method;                      // "GET", "HEAD", ...
  std::string target;                      // as sent: path and query
  std::string path;                        // percent-decoded path, without the query
  std::string query;                       // raw query string without '?'
  Headers headers;                         // lowercase names
  std::optional<uint64_t> content_length;  // when the client sent one
  bool chunked = false;                    // Transfer-Encoding: chunked
  std::string request_id;                  // unique per request, for logs and errors
  bool tls = false;                        // arrived over TLS
  std::string tls_client_user;             // CN of a verified client certificate (mutual TLS)
  std::string remote_addr;                 // the client's address, "IP:PORT" ("[IPv6]:PORT")
  BodyReader* body = nullptr;              // never null while a handler runs
  std::shared_ptr<const Caller> caller;    // set by the router's guard, when there is one
  // The pattern of the route table that matched the path (set by the router; it lives as long
  // as the router), empty when none did. For metrics: never the raw path.
  std::string_view route;

  // Path parameters set by the router (e.g. {"name", "library/alpine"}).
  std::vector<std::pair<std::string, std::string>> params;

  // The first value of header `name` (lowercase), or empty.
  std::string_view header(std::string_view name) const;
  // Every value of header `name` (lowercase), in order.
  std::vector<std::string_view> header_values(std::string_view name) const;
  // The router's path parameter `name`, or empty.
  std::string_view param(std::string_view name) const;
  // Every value of query parameter `key`, percent-decoded, in order; a value that does not
  // decode (malformed escape, encoded NUL) is returned as sent, so that checks refuse it.
  std::vector<std::string> query_values(std::string_view key) const;
  // The first value of query parameter `key`, if present.
  std::optional<std::string> query_value(std::string_view key) const;
};

// A file still being written (a blob the pull-through cache is fetching): tells the server how
// much of it is final, so a response can follow the writer.
class FileFeed {
 public:
  virtual ~FileFeed() = default;
  // Waits until more than `have` bytes of the file are final, then returns how many are (the
  // file's first N bytes). An error means the file will never be complete (the fetch failed):
  // the server cuts the connection, so the client sees a short body, never a wrong one.
  virtual boost::asio::awaitable<std::pair<boost::system::error_code, uint64_t>> wait_beyond(
      uint64_t have) = 0;
};

// Bytes that are not in a local file (a blob in an object store): read piece by piece at the
// offsets the server asks for, each only once the one before is written (back-pressure), so a
// response never holds more than one piece.
class RangeSource {
 public:
  virtual ~RangeSource() = default;
  // Reads up to buf.size() bytes at `offset` into `buf` without blocking the calling thread.
  // 0 bytes or an error cuts the response short (the client sees a short body, never a wrong
  // one).
  virtual boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> read_at(
      std::span<std::byte> buf, uint64_t offset) = 0;
};

// A byte range of an open file, sent with sendfile(2). `owner` keeps the descriptor open until
// the response is written. With a `feed`, bytes are sent only once the feed says they are final.
// With a `source`, the range is read from it instead (fd and feed are unused).
struct FileRange {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::shared_ptr<void> owner;
  std::shared_ptr<FileFeed> feed;
  std::shared_ptr<RangeSource> source;
};

struct Response {
  unsigned status = 200;
  Headers headers;
  std::string body;               // small bodies (JSON, manifests)
  std::optional<FileRange> file;  // large bodies; when set, `body` is ignored
  // For HEAD: the Content-Length to announce without a body; otherwise derived from the body.
  std::optional<uint64_t> content_length;

  // Adds a header (name in lowercase).
  Response& set(std::string_view name, std::string_view value);
  // The first value of header `name` (lowercase), or empty.
  std::string_view header(std::string_view name) const;
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Decodes %XX escapes; returns nullopt on a malformed escape or an encoded NUL.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space = false);

}  // namespace cairn::server
