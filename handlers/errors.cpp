#include "handlers/errors.h"

#include <nlohmann/json.hpp>

namespace cairn::handlers {
namespace {

struct Mapping {
  Errc error;
  Resource resource;  // Resource::other: any resource
  unsigned status;
  std::string_view code;
};

// The one table: first match wins, so specific resources come before Resource::other.
constexpr Mapping kTable[] = {
    {Errc::not_found, Resource::blob, 404, "BLOB_UNKNOWN"},
    {Errc::not_found, Resource::upload, 404, "BLOB_UPLOAD_UNKNOWN"},
    {Errc::not_found, Resource::ingest, 404, "BLOB_UPLOAD_UNKNOWN"},
    {Errc::not_found, Resource::manifest, 404, "MANIFEST_UNKNOWN"},
    {Errc::not_found, Resource::tag, 404, "MANIFEST_UNKNOWN"},
    {Errc::not_found, Resource::repository, 404, "NAME_UNKNOWN"},
    {Errc::not_found, Resource::lease, 404, "LEASE_UNKNOWN"},
    {Errc::not_found, Resource::other, 404, "NOT_FOUND"},
    {Errc::invalid_argument, Resource::upload, 400, "BLOB_UPLOAD_INVALID"},
    {Errc::invalid_argument, Resource::manifest, 400, "MANIFEST_INVALID"},
    {Errc::invalid_argument, Resource::repository, 400, "NAME_INVALID"},
    {Errc::invalid_argument, Resource::tag, 400, "TAG_INVALID"},
    {Errc::invalid_argument, Resource::lease, 400, "LEASE_INVALID"},
    {Errc::already_exists, Resource::lease, 409, "LEASE_EXISTS"},
    {Errc::invalid_argument, Resource::other, 400, "UNSUPPORTED"},
    {Errc::digest_mismatch, Resource::other, 400, "DIGEST_INVALID"},
    {Errc::size_mismatch, Resource::other, 400, "SIZE_INVALID"},
    {Errc::range_invalid, Resource::upload, 416, "BLOB_UPLOAD_INVALID"},
    {Errc::range_invalid, Resource::other, 416, "RANGE_INVALID"},
    {Errc::already_exists, Resource::other, 409, "CONFLICT"},
    {Errc::failed_precondition, Resource::other, 409, "CONFLICT"},
    {Errc::unavailable, Resource::other, 503, "UNAVAILABLE"},
    // A full data root (or one below --min-free-bytes). The distribution spec registers no code
    // for it; UNAVAILABLE is Distribution's code for "the service cannot do this now, retry",
    // which is what a full disk means to a client (UNKNOWN would say nothing). The message
    // names what was full; from_error adds Retry-After.
    {Errc::no_space, Resource::other, 507, "UNAVAILABLE"},
    // A policy refusal (a repository's byte quota): the spec's DENIED, the message naming it.
    {Errc::denied, Resource::other, 403, "DENIED"},
    {Errc::io, Resource::other, 500, "UNKNOWN"},
    {Errc::internal, Resource::other, 500, "UNKNOWN"},
};

// Access errors come from the guard, not from storage: code → status.
struct AccessMapping {
  std::string_view code;
  unsigned status;
};
constexpr AccessMapping kAccessTable[] = {
    {"UNAUTHORIZED", 401},
    {"DENIED", 403},
};

// How long a client is asked to wait after 507: long enough for GC or an operator to free space.
constexpr int kNoSpaceRetryAfterSeconds = 30;

}  // namespace

server::Response oci_error(unsigned status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"errors", {{{"code", code}, {"message", message}}}}};
  server::Response res;
  res.status = status;
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.set("content-type", "application/json");
  return res;
}

server::Response from_error(const Error& error, Resource resource) {
  for (const Mapping& m : kTable) {
    if (m.error == error.code && (m.resource == resource || m.resource == Resource::other)) {
      bool server_side = m.status >= 500 && m.status != 503 && m.status != 507;
      server::Response res =
          oci_error(m.status, m.code, server_side ? "internal error" : error.detail);
      if (error.code == Errc::no_space)
        res.set("retry-after", std::to_string(kNoSpaceRetryAfterSeconds));
      return res;
    }
  }
  return oci_error(500, "UNKNOWN", "internal error");
}

server::Response access_error(std::string_view code, std::string_view message) {
  for (const AccessMapping& m : kAccessTable) {
    if (m.code == code)
      return oci_error(m.status, m.code, message);
  }
  return oci_error(403, "DENIED", message);
}

server::Response route_not_found(const server::Request&) {
  return oci_error(404, "NOT_FOUND", "no such route");
}

server::Response method_not_allowed(const server::Request& req) {
  return oci_error(405, "UNSUPPORTED", "method " + req.method + " is not allowed here");
}

server::Response internal_error(const server::Request& req, std::string_view) {
  return oci_error(500, "UNKNOWN", "internal error; request id " + req.request_id);
}

}  // namespace cairn::handlers
