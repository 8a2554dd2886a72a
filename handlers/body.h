// Request bodies: streaming an upload into a content Writer, reading a small JSON or manifest
// body, and discarding a body nobody needs. No body is ever held whole unless it is small by
// contract (read_small_body's limit).
#pragma once

#include "handlers/api.h"
#include "server/http.h"
#include "storage/content/store.h"

#include <optional>
#include <string>

namespace cairn::handlers {

// Streams the whole request body into `writer`: pieces of api.options.upload_piece_bytes are
// read from the socket while the previous piece is written and hashed on the offload pool.
// Returns the bytes written. Errors: io (writing failed; what was written before stays in the
// ingest), no_space (the disk is full or a piece would take it below --min-free-bytes: that
// piece is not written, the writer's offset covers exactly what was), unavailable (the client broke
// off; what arrived stays in the ingest, resumable), invalid_argument (the body broke its chunked
// framing; what arrived before stays too).
boost::asio::awaitable<Result<uint64_t>> stream_body(Api& api, server::Request& req,
                                                     content::Writer& writer);

// Reads a body of at most `max` bytes. nullopt when it is larger (the rest is left unread, so
// the connection will be closed) or the client broke off.
boost::asio::awaitable<std::optional<std::string>> read_small_body(server::Request& req,
                                                                   size_t max);

// Reads and drops the rest of the body (for a request answered without its bytes, e.g. a blob
// that already exists). Returns false when the client broke off.
boost::asio::awaitable<bool> discard_body(server::Request& req);

}  // namespace cairn::handlers
