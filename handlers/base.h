// The API root: `GET /v2/` (the version check every registry client makes first) and the
// liveness probe `GET /healthz`.
#pragma once

#include "server/http.h"

namespace cairn::handlers {

// 200 `{}` with Docker-Distribution-API-Version: registry/2.0.
boost::asio::awaitable<server::Response> api_version(server::Request& req);
// 200 "ok".
boost::asio::awaitable<server::Response> healthz(server::Request& req);

}  // namespace cairn::handlers
