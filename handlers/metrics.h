// The Prometheus page:
//
//   GET /metrics    every series (metrics/metrics.h) in the Prometheus text format, 0.0.4
//
// Open by default, as Distribution's debug listener is (the page names routes, never
// repositories' content; but namespace names appear in cairn_namespace_*): `--metrics admin`
// asks for the administrator right instead, `--metrics off` removes the route.
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

// 200 with the page; the series are gathered on the offload pool (storage walks block).
boost::asio::awaitable<Answer> serve_metrics(Api& api, server::Request& req);

}  // namespace cairn::handlers
