// Blob uploads (distribution-spec "pushing blobs"): an upload is an ingest of the repository's
// namespace, named by a server-made id (the Docker-Upload-UUID), kept open between requests by
// UploadSessions.
//
//   POST   /v2/<name>/blobs/uploads/                 start (202), or monolithic with ?digest=
//                                                    (201), or mount with ?mount=&from= (201)
//   PATCH  /v2/<name>/blobs/uploads/<id>             append a chunk (202), Content-Range checked
//   PUT    /v2/<name>/blobs/uploads/<id>?digest=     last chunk (optional) and commit (201)
//   GET    /v2/<name>/blobs/uploads/<id>             progress (204 + Range)
//   DELETE /v2/<name>/blobs/uploads/<id>             cancel (204)
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> start_upload(Api& api, server::Request& req);
boost::asio::awaitable<Answer> patch_upload(Api& api, server::Request& req);
boost::asio::awaitable<Answer> finish_upload(Api& api, server::Request& req);
boost::asio::awaitable<Answer> upload_progress(Api& api, server::Request& req);
boost::asio::awaitable<Answer> cancel_upload(Api& api, server::Request& req);

}  // namespace cairn::handlers
