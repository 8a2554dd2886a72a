// The API root: `GET /v2/` (the version check every registry client makes first) and the
// probes `GET /healthz` (liveness: can this instance take writes at all?) and `GET /readyz`
// (readiness: should writes be sent here now?).
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

// 200 `{}` with Docker-Distribution-API-Version: registry/2.0.
boost::asio::awaitable<server::Response> api_version(server::Request& req);
// 200 "ok" while the metadata database accepts writes; 503 with a one-line reason (text/plain)
// while it refuses them (after a failed write, until it has reopened: Database::writable).
boost::asio::awaitable<Answer> healthz(Api& api, server::Request& req);
// 200 "ready" when storage takes writes (Storage::check_ready: the metadata database accepts
// them, probed, and the free space is above --min-free-bytes); else 503 with the reason.
boost::asio::awaitable<Answer> readyz(Api& api, server::Request& req);

}  // namespace cairn::handlers
