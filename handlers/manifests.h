// Manifests (distribution-spec "pushing/pulling/deleting manifests"), by tag or by digest.
//
//   PUT    /v2/<name>/manifests/<reference>   201; the exact bytes and media type are kept
//   GET    /v2/<name>/manifests/<reference>   the bytes, Content-Type = the pushed media type
//   HEAD   /v2/<name>/manifests/<reference>   the headers only
//   DELETE /v2/<name>/manifests/<reference>   by digest: the manifest and its tags (202);
//                                             by tag: the tag only (202)
//
// A manifest's bytes are a blob of the repository; its record lists what it refers to
// (metadata::ManifestStore), which the push checks is present in the repository.
#pragma once

#include "handlers/api.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<server::Response> put_manifest(Api& api, server::Request& req);
boost::asio::awaitable<server::Response> get_manifest(Api& api, server::Request& req);
boost::asio::awaitable<server::Response> head_manifest(Api& api, server::Request& req);
boost::asio::awaitable<server::Response> delete_manifest(Api& api, server::Request& req);

}  // namespace cairn::handlers
