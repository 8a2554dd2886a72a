// The error-code registry: every code cairn puts in an OCI error body, each defined exactly once
// with the one HTTP status it is answered with and a default message.
//
// The distribution spec names fourteen codes (BLOB_UNKNOWN … TOOMANYREQUESTS); CNCF
// Distribution adds a few that clients know (UNKNOWN, UNAVAILABLE, TAG_INVALID, RANGE_INVALID,
// PAGINATION_NUMBER_INVALID); the rest are cairn's own (leases, extension bodies, a full disk,
// the pull-through cache's upstream). One code has one status: where cairn needs a different
// status for a similar fault (413 for a body over a limit, 507 for a full disk, 502 for a
// failing upstream) that is a different code, registered here. openapi/openapi.yaml documents
// the same table (components/schemas/ErrorCode); a unit test keeps the two equal.
//
// Handlers never name a status: they build an OciError (handlers/errors.h) from an ErrorCode,
// and the route table renders it with the status registered here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace cairn::handlers {

enum class ErrorCode : uint8_t {
  // The distribution spec's codes.
  blob_unknown,           // 404 BLOB_UNKNOWN
  blob_upload_invalid,    // 400 BLOB_UPLOAD_INVALID
  blob_upload_unknown,    // 404 BLOB_UPLOAD_UNKNOWN
  digest_invalid,         // 400 DIGEST_INVALID
  manifest_blob_unknown,  // 400 MANIFEST_BLOB_UNKNOWN
  manifest_invalid,       // 400 MANIFEST_INVALID
  manifest_unknown,       // 404 MANIFEST_UNKNOWN
  name_invalid,           // 400 NAME_INVALID
  name_unknown,           // 404 NAME_UNKNOWN
  size_invalid,           // 400 SIZE_INVALID
  unauthorized,           // 401 UNAUTHORIZED
  denied,                 // 403 DENIED
  unsupported,            // 405 UNSUPPORTED
  too_many_requests,      // 429 TOOMANYREQUESTS
  // Distribution's, beyond the spec.
  unknown,                    // 500 UNKNOWN
  unavailable,                // 503 UNAVAILABLE
  tag_invalid,                // 400 TAG_INVALID
  range_invalid,              // 416 RANGE_INVALID
  pagination_number_invalid,  // 400 PAGINATION_NUMBER_INVALID
  // cairn's own.
  not_found,             // 404 NOT_FOUND
  conflict,              // 409 CONFLICT
  request_invalid,       // 400 REQUEST_INVALID
  body_invalid,          // 400 BODY_INVALID
  body_too_large,        // 413 BODY_TOO_LARGE
  filter_invalid,        // 400 FILTER_INVALID
  lease_invalid,         // 400 LEASE_INVALID
  lease_unknown,         // 404 LEASE_UNKNOWN
  lease_exists,          // 409 LEASE_EXISTS
  insufficient_storage,  // 507 INSUFFICIENT_STORAGE
  upstream_failed,       // 502 UPSTREAM_FAILED (stays last: error_codes.cpp checks its table
                         // against it)
};

// Who defined a code: the spec, Distribution (clients know it), or cairn.
enum class CodeOrigin : uint8_t { spec, distribution, cairn };

// One registered code.
struct ErrorCodeInfo {
  ErrorCode code;
  std::string_view name;     // the body's "code": "BLOB_UNKNOWN"
  unsigned status;           // the HTTP status every answer with this code has
  std::string_view message;  // the message when the handler gives none
  CodeOrigin origin;
};

// The registry entry of `code`. Pure, thread-safe.
const ErrorCodeInfo& code_info(ErrorCode code) noexcept;

// Every registered code, in ErrorCode order (for the documentation and its test).
std::span<const ErrorCodeInfo> registered_codes() noexcept;

// The entry named `name` ("BLOB_UNKNOWN"), or null when none is registered under it.
const ErrorCodeInfo* find_code(std::string_view name) noexcept;

}  // namespace cairn::handlers
