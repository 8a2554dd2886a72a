#include "handlers/body.h"

#include "server/fill.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/system/errc.hpp>

#include <memory>
#include <vector>

namespace cairn::handlers {
namespace {

using namespace boost::asio::experimental::awaitable_operators;

using server::fill;

}  // namespace

boost::asio::awaitable<Result<uint64_t>> stream_body(Api& api, server::Request& req,
                                                     content::Writer& writer) {
  const size_t piece = api.options.upload_piece_bytes;
  std::unique_ptr<std::byte[]> a(new std::byte[piece]);
  std::unique_ptr<std::byte[]> b(new std::byte[piece]);
  uint64_t written = 0;
  auto [ec, filled] = co_await fill(*req.body, std::span<std::byte>(a.get(), piece));
  while (filled > 0) {
    std::span<const std::byte> chunk(a.get(), filled);
    // Write this piece on the pool while the next one arrives. A piece that would take the
    // data root below --min-free-bytes is refused whole: the writer keeps its offset.
    auto [wrote, next] = co_await (api.storage.write([&writer, chunk](Storage& s) -> Result<void> {
      if (auto room = s.space().check(chunk.size()); !room)
        return room;
      return writer.write(chunk);
    }) && fill(*req.body, std::span<std::byte>(b.get(), piece)));
    if (!wrote)
      co_return wrote.error();
    written += filled;
    if (ec)
      break;
    std::swap(a, b);
    ec = next.first;
    filled = next.second;
  }
  if (ec == boost::system::errc::bad_message)
    co_return fail(Errc::invalid_argument, "the request body breaks its chunked framing");
  if (ec)
    co_return fail(Errc::unavailable, "the client broke off the upload");
  co_return written;
}

boost::asio::awaitable<std::optional<std::string>> read_small_body(server::Request& req,
                                                                   size_t max) {
  if (req.content_length && *req.content_length > max)
    co_return std::nullopt;
  std::string out;
  std::byte buf[16384];
  while (true) {
    auto [ec, n] = co_await req.body->read_some(buf);
    if (ec)
      co_return std::nullopt;
    if (n == 0)
      break;
    if (out.size() + n > max)
      co_return std::nullopt;
    out.append(reinterpret_cast<const char*>(buf), n);
  }
  co_return out;
}

boost::asio::awaitable<bool> discard_body(server::Request& req) {
  std::byte buf[65536];
  while (true) {
    auto [ec, n] = co_await req.body->read_some(buf);
    if (ec)
      co_return false;
    if (n == 0)
      co_return true;
  }
}

}  // namespace cairn::handlers
