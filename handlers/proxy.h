// The pull-through cache's side of the OCI read routes: GET/HEAD of manifests and blobs of a
// repository that an upstream serves (chosen by proxy::Cache::route), and GET /_admin/cache.
//
// This side maps HTTP in and out; the cache layer (proxy/) does the work. Manifests: the
// request's Accept headers and what the cache namespace holds go to proxy::Cache::manifest
// (proxy/manifest_fetch.h: revalidation, fetch, stale fallback); its outcome is answered from
// the store, a stale one with `Warning: 110 - "Response is Stale"`, a failure as
// MANIFEST_UNKNOWN, UPSTREAM_FAILED or the store's error. Cold blobs are fetched once however
// many clients ask (proxy::BlobFetch) and streamed to all of them as they arrive; HEAD of a
// cold blob asks the upstream. Answers chosen by ?ns= carry `OCI-Namespace: <host>`.
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "handlers/manifests.h"
#include "proxy/cache.h"
#include "server/http.h"

#include <optional>
#include <string>

namespace cairn::handlers {

// The cache target of a request on repository `name`, or nullopt when the repository is local
// (no cache configured, or no upstream chosen). Whether the repository holds content of its own
// is a lookup.
boost::asio::awaitable<std::optional<proxy::Target>> proxy_target(Api& api,
                                                                  const server::Request& req,
                                                                  const std::string& name);

boost::asio::awaitable<Answer> proxied_manifest(Api& api, server::Request& req,
                                                const proxy::Target& target, const Reference& ref);
boost::asio::awaitable<Answer> proxied_blob(Api& api, server::Request& req,
                                            const proxy::Target& target,
                                            const content::Digest& digest);

// GET /_admin/cache: the cache's figures (JSON).
boost::asio::awaitable<Answer> cache_figures(Api& api, server::Request& req);

}  // namespace cairn::handlers
