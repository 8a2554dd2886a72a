// JSON shapes of the extension endpoints (content, ingests, leases, labels, GC), in one place
// so every route renders a thing the same way, and the parsing of their request bodies.
//
//   Info   {"digest", "size", "createdAt", "updatedAt", "labels"}
//   Status {"ref", "offset", "total", "expected", "startedAt", "updatedAt", "expiresAt"}
//   Lease  {"id", "createdAt", "expiresAt", "labels"}
// Times are RFC 3339 (UTC, nanoseconds); absent values are omitted.
#pragma once

#include "handlers/api.h"
#include "handlers/params.h"
#include "storage/content/store.h"
#include "storage/gc/collector.h"
#include "storage/metadata/leases.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace cairn::handlers {

nlohmann::json info_json(const content::Info& info);
nlohmann::json status_json(const content::Status& st, std::optional<Timestamp> expires_at);
nlohmann::json lease_json(const metadata::Lease& lease);
nlohmann::json gc_json(const gc::GcStats& stats);
// What retention removed (or would remove, on a dry run): counts and the first names.
nlohmann::json retention_json(const gc::RetentionReport& report);

// A JSON response with status `status`.
server::Response json_response(const nlohmann::json& body, unsigned status = 200);

// Reads and parses a JSON object body (at most api.options.max_json_bytes; an empty body is
// `{}`). 400 BODY_INVALID otherwise, 413 BODY_TOO_LARGE when too large.
boost::asio::awaitable<Checked<nlohmann::json>> json_body(Api& api, server::Request& req);

// The "labels" member of `body` as labels (absent: empty). 400 BODY_INVALID when it is not an
// object of strings.
Checked<content::Labels> labels_of(const nlohmann::json& body);

}  // namespace cairn::handlers
