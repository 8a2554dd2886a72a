// Garbage collection, by hand and its last figures:
//
//   POST /_admin/gc[?dry_run=1]  runs a collection now (retention first); 200 with its figures.
//                                dry_run=1 (or true) changes nothing and answers what a run
//                                would remove now (gc::Collector::preview) with what the
//                                retention rules would untag and delete ("retention"); not
//                                recorded as the last run
//   GET  /_admin/gc              the last collection's figures (404 NOT_FOUND before the first)
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> run_gc(Api& api, server::Request& req);
boost::asio::awaitable<Answer> last_gc(Api& api, server::Request& req);

}  // namespace cairn::handlers
