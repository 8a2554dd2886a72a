// Blobs (distribution-spec "pulling blobs", "deleting blobs"): content of a repository by digest.
//
//   GET    /v2/<name>/blobs/<digest>    the bytes (sendfile), a single Range → 206, else 416
//   HEAD   /v2/<name>/blobs/<digest>    Content-Length and Docker-Content-Digest only
//   DELETE /v2/<name>/blobs/<digest>    removes it from the repository (202); GC frees the bytes
#pragma once

#include "handlers/api.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<server::Response> get_blob(Api& api, server::Request& req);
boost::asio::awaitable<server::Response> head_blob(Api& api, server::Request& req);
boost::asio::awaitable<server::Response> delete_blob(Api& api, server::Request& req);

// Builds the answer to GET of content `reader` (whole, or the request's Range), with
// Docker-Content-Digest, Content-Type and Accept-Ranges. Shared by blob and manifest reads.
// GET of a whole file (`whole`: offset 0, the content's length) or of the range the request's
// Range header names: 200, 206 with Content-Range, or 416.
server::Response serve_file(const server::Request& req, server::FileRange whole,
                            const content::Digest& digest, std::string_view content_type);
// serve_file() for committed content.
server::Response serve_content(const server::Request& req,
                               std::shared_ptr<content::ReaderAt> reader,
                               const content::Digest& digest, std::string_view content_type);

}  // namespace cairn::handlers
