#include "handlers/error_codes.h"

#include <array>

namespace cairn::handlers {
namespace {

using enum CodeOrigin;

// The registry. A row per ErrorCode, in its order (checked below at compile time), so a code
// cannot be registered twice nor left out.
constexpr ErrorCodeInfo kCodes[] = {
    {ErrorCode::blob_unknown, "BLOB_UNKNOWN", 404, "blob unknown to the registry", spec},
    {ErrorCode::blob_upload_invalid, "BLOB_UPLOAD_INVALID", 400, "invalid blob upload", spec},
    {ErrorCode::blob_upload_unknown, "BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown", spec},
    {ErrorCode::digest_invalid, "DIGEST_INVALID", 400, "the digest is invalid or does not match",
     spec},
    {ErrorCode::manifest_blob_unknown, "MANIFEST_BLOB_UNKNOWN", 400,
     "the manifest references content the repository does not have", spec},
    {ErrorCode::manifest_invalid, "MANIFEST_INVALID", 400, "invalid manifest", spec},
    {ErrorCode::manifest_unknown, "MANIFEST_UNKNOWN", 404, "manifest unknown", spec},
    {ErrorCode::name_invalid, "NAME_INVALID", 400, "invalid repository name", spec},
    {ErrorCode::name_unknown, "NAME_UNKNOWN", 404, "repository name unknown", spec},
    {ErrorCode::size_invalid, "SIZE_INVALID", 400, "the length does not match the content", spec},
    {ErrorCode::unauthorized, "UNAUTHORIZED", 401, "authentication required", spec},
    {ErrorCode::denied, "DENIED", 403, "access denied", spec},
    {ErrorCode::unsupported, "UNSUPPORTED", 405, "the operation is not supported", spec},
    {ErrorCode::too_many_requests, "TOOMANYREQUESTS", 429, "too many requests", spec},

    {ErrorCode::unknown, "UNKNOWN", 500, "internal error", distribution},
    {ErrorCode::unavailable, "UNAVAILABLE", 503, "the service is busy: retry", distribution},
    {ErrorCode::tag_invalid, "TAG_INVALID", 400, "invalid tag", distribution},
    {ErrorCode::range_invalid, "RANGE_INVALID", 416, "range not satisfiable", distribution},
    {ErrorCode::pagination_number_invalid, "PAGINATION_NUMBER_INVALID", 400, "invalid page size",
     distribution},

    {ErrorCode::not_found, "NOT_FOUND", 404, "not found", cairn},
    {ErrorCode::conflict, "CONFLICT", 409, "the current state forbids this", cairn},
    {ErrorCode::request_invalid, "REQUEST_INVALID", 400, "invalid request", cairn},
    {ErrorCode::body_invalid, "BODY_INVALID", 400, "invalid request body", cairn},
    {ErrorCode::body_too_large, "BODY_TOO_LARGE", 413, "the request body is too large", cairn},
    {ErrorCode::filter_invalid, "FILTER_INVALID", 400, "invalid filter", cairn},
    {ErrorCode::lease_invalid, "LEASE_INVALID", 400, "invalid lease id", cairn},
    {ErrorCode::lease_unknown, "LEASE_UNKNOWN", 404, "lease unknown", cairn},
    {ErrorCode::lease_exists, "LEASE_EXISTS", 409, "the lease id is taken", cairn},
    {ErrorCode::insufficient_storage, "INSUFFICIENT_STORAGE", 507,
     "not enough free space: retry later", cairn},
    {ErrorCode::upstream_failed, "UPSTREAM_FAILED", 502,
     "the upstream registry could not give what was asked", cairn},
};

constexpr bool in_code_order() {
  for (size_t i = 0; i < std::size(kCodes); ++i) {
    if (static_cast<size_t>(kCodes[i].code) != i)
      return false;
  }
  return static_cast<size_t>(ErrorCode::upstream_failed) + 1 == std::size(kCodes);
}
static_assert(in_code_order(), "one row per ErrorCode, in its order");

}  // namespace

const ErrorCodeInfo& code_info(ErrorCode code) noexcept {
  return kCodes[static_cast<size_t>(code)];
}

std::span<const ErrorCodeInfo> registered_codes() noexcept {
  return kCodes;
}

const ErrorCodeInfo* find_code(std::string_view name) noexcept {
  for (const ErrorCodeInfo& info : kCodes) {
    if (info.name == name)
      return &info;
  }
  return nullptr;
}

}  // namespace cairn::handlers
