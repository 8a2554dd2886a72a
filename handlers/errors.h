// OCI error responses, and the one table that maps storage errors to them.
//
// Every failure a client can cause is answered with the distribution-spec error body
//   {"errors":[{"code":"BLOB_UNKNOWN","message":"...","detail":...}]}
// and the status the spec gives that code. Handlers never pick a status by hand for a storage
// error: they call from_error(error, resource).
#pragma once

#include "server/http.h"
#include "storage/common/result.h"

#include <string_view>

namespace cairn::handlers {

// What a handler was acting on, which decides e.g. whether not_found is BLOB_UNKNOWN or
// MANIFEST_UNKNOWN.
enum class Resource { blob, upload, manifest, tag, repository, lease, ingest, other };

// An OCI error body with `code` (e.g. "NAME_INVALID") and an explicit status.
server::Response oci_error(unsigned status, std::string_view code, std::string_view message);

// The OCI error for a storage error, by (error code, resource). no_space answers 507 with
// Retry-After.
server::Response from_error(const Error& error, Resource resource);

// The access errors of the guard (handlers/auth.h), by code: "UNAUTHORIZED" (401: no valid
// credentials) or "DENIED" (403: authenticated, not allowed). Statuses come from the table.
server::Response access_error(std::string_view code, std::string_view message);

// 404 for a path that no route matches.
server::Response route_not_found(const server::Request& req);
// 405 for a known path with a method it does not take.
server::Response method_not_allowed(const server::Request& req);
// 500 UNKNOWN naming the request id, for the last-resort exception boundary.
server::Response internal_error(const server::Request& req, std::string_view what);

}  // namespace cairn::handlers
