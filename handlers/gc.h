// Garbage collection, by hand and its last figures:
//
//   POST /_admin/gc    runs a collection now (retention first); 200 with its figures
//   POST /_admin/gc?dry_run=1  evaluates retention only; 200 with what it would remove
//   GET  /_admin/gc    the last collection's figures (404 NOT_FOUND before the first)
#pragma once

#include "handlers/api.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<server::Response> run_gc(Api& api, server::Request& req);
boost::asio::awaitable<server::Response> last_gc(Api& api, server::Request& req);

}  // namespace cairn::handlers
