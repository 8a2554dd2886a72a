// Consistency checks of the live data root (storage/fsck/runner.h), by hand:
//
//   POST /_admin/fsck[?repair=true]  starts a check in the background: 202 with its report
//                                    (state "running"); 409 CONFLICT while one runs (a
//                                    request's or the scrub's)
//   GET  /_admin/fsck                the running check's live report, else the last one
//                                    (404 NOT_FOUND before the first)
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> start_fsck(Api& api, server::Request& req);
boost::asio::awaitable<Answer> fsck_report(Api& api, server::Request& req);

}  // namespace cairn::handlers
