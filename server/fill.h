// fill: reads a stream into a buffer until the buffer is full or the stream ends — for anything
// with `awaitable<pair<error_code, size_t>> read_some(std::span<std::byte>)` (a request body, an
// upstream reply).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <span>
#include <utility>

namespace cairn::server {

// The bytes read (fewer than buf.size() only at the end of the stream), with the error that
// stopped it, if any.
template <class Reader>
boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> fill(
    Reader& reader, std::span<std::byte> buf) {
  size_t got = 0;
  while (got < buf.size()) {
    auto [ec, n] = co_await reader.read_some(buf.subspan(got));
    if (ec)
      co_return std::pair{ec, got};
    if (n == 0)
      break;
    got += n;
  }
  co_return std::pair{boost::system::error_code{}, got};
}

}  // namespace cairn::server
