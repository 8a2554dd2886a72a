// The route table: every path and verb cairn answers, in one place.
#pragma once

#include "server/router.h"

namespace cairn::handlers {

// Adds every route, and the 404/405 fallbacks, to `router`.
void add_routes(server::Router& router);

}  // namespace cairn::handlers
