// The route table: every path and verb cairn answers, in one place.
#pragma once

#include "handlers/api.h"
#include "server/router.h"

namespace cairn::handlers {

// Adds every route, and the 404/405 fallbacks, to `router`. `api` must outlive the router.
void add_routes(server::Router& router, Api& api);

}  // namespace cairn::handlers
