// A repository's byte quota (storage/quota.h), for clients and operators:
//
//   GET /v2/<name>/_quota   200 {"repository", "usedBytes", "limitBytes" (null: no quota),
//                           "rule" (the matching glob, null without one)}
//
// The quota itself is enforced by the upload handlers (handlers/uploads.cpp).
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> get_quota(Api& api, server::Request& req);

}  // namespace cairn::handlers
