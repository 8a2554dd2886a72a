// Disk usage of the data root (storage/usage.h), for an operator:
//
//   GET /_admin/du   200 with what each namespace references (unique and shared bytes), the
//                    pushed and cache totals, the blob tree and the uploads in progress
//
// The walk reads every blob record twice and stats every blob file: it runs on the offload pool
// (seconds for millions of blobs), one request at a time per call.
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

#include <nlohmann/json.hpp>

namespace cairn {
struct Usage;
}

namespace cairn::handlers {

boost::asio::awaitable<Answer> disk_usage(Api& api, server::Request& req);

// The JSON of GET /_admin/du and `cairn du --json` (openapi: DiskUsage).
nlohmann::json usage_json(const Usage& u);

}  // namespace cairn::handlers
