// Blobs (distribution-spec "pulling blobs", "deleting blobs"): content of a repository by digest.
//
//   GET    /v2/<name>/blobs/<digest>    the bytes (sendfile), a single Range → 206, else 416
//   HEAD   /v2/<name>/blobs/<digest>    Content-Length and Docker-Content-Digest only
//   (GET and HEAD through the pull-through cache for the repositories it answers)
//   DELETE /v2/<name>/blobs/<digest>    removes it from the repository (202); GC frees the bytes
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

// GET and HEAD (HEAD answers the same headers without the bytes).
boost::asio::awaitable<Answer> get_blob(Api& api, server::Request& req);
boost::asio::awaitable<Answer> delete_blob(Api& api, server::Request& req);

// The answer to GET or HEAD (req.method) of committed blob `digest` of `scope`: 200, 206 or 416
// with the bytes, HEAD's headers, or an error (BLOB_UNKNOWN when it is not there). Point reads:
// call it inside AsyncStorage::lookup. Bytes outside a local file are read on `pool`.
Answer stored_blob(Storage& storage, server::Offloader& pool, const server::Request& req,
                   const metadata::Scope& scope, const content::Digest& digest);
// HEAD's answer for a blob of `size` bytes: Docker-Content-Digest, Content-Type, Accept-Ranges
// and Content-Length.
server::Response blob_head(const content::Digest& digest, uint64_t size);
// Builds the answer to GET, with Docker-Content-Digest, Content-Type and Accept-Ranges, of a
// whole file (`whole`: offset 0, the content's length) or of the range the request's
// Range header names: 200, 206 with Content-Range, or 416 RANGE_INVALID.
Answer serve_file(const server::Request& req, server::FileRange whole,
                  const content::Digest& digest, std::string_view content_type);
// serve_file() for committed content: sendfile(2) from its descriptor, or, for content without
// one (an object store's), piece by piece through ReaderAt::read_at on `pool`.
Answer serve_content(server::Offloader& pool, const server::Request& req,
                     std::shared_ptr<content::ReaderAt> reader, const content::Digest& digest,
                     std::string_view content_type);

}  // namespace cairn::handlers
