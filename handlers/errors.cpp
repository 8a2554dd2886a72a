#include "handlers/errors.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace cairn::handlers {
namespace {

struct Mapping {
  Errc error;
  Resource resource;  // Resource::other: any resource
  ErrorCode code;
};

// The one table: first match wins, so specific resources come before Resource::other. The
// status is the code's (handlers/error_codes.h).
constexpr Mapping kTable[] = {
    {Errc::not_found, Resource::blob, ErrorCode::blob_unknown},
    {Errc::not_found, Resource::upload, ErrorCode::blob_upload_unknown},
    {Errc::not_found, Resource::ingest, ErrorCode::blob_upload_unknown},
    {Errc::not_found, Resource::manifest, ErrorCode::manifest_unknown},
    {Errc::not_found, Resource::tag, ErrorCode::manifest_unknown},
    {Errc::not_found, Resource::repository, ErrorCode::name_unknown},
    {Errc::not_found, Resource::lease, ErrorCode::lease_unknown},
    {Errc::not_found, Resource::other, ErrorCode::not_found},
    {Errc::invalid_argument, Resource::upload, ErrorCode::blob_upload_invalid},
    {Errc::invalid_argument, Resource::manifest, ErrorCode::manifest_invalid},
    {Errc::invalid_argument, Resource::repository, ErrorCode::name_invalid},
    {Errc::invalid_argument, Resource::tag, ErrorCode::tag_invalid},
    {Errc::invalid_argument, Resource::lease, ErrorCode::lease_invalid},
    {Errc::already_exists, Resource::lease, ErrorCode::lease_exists},
    {Errc::invalid_argument, Resource::other, ErrorCode::request_invalid},
    {Errc::digest_mismatch, Resource::other, ErrorCode::digest_invalid},
    {Errc::size_mismatch, Resource::other, ErrorCode::size_invalid},
    // A chunk that does not start at the upload's offset, a range outside the content: both
    // 416, Distribution's RANGE_INVALID.
    {Errc::range_invalid, Resource::other, ErrorCode::range_invalid},
    {Errc::already_exists, Resource::other, ErrorCode::conflict},
    {Errc::failed_precondition, Resource::other, ErrorCode::conflict},
    {Errc::unavailable, Resource::other, ErrorCode::unavailable},
    // A full data root (or one below --min-free-bytes): 507, retry after Retry-After; the
    // message names what was full.
    {Errc::no_space, Resource::other, ErrorCode::insufficient_storage},
    // A policy refusal (a repository's byte quota): the spec's DENIED, the message naming it.
    {Errc::denied, Resource::other, ErrorCode::denied},
    {Errc::io, Resource::other, ErrorCode::unknown},
    {Errc::internal, Resource::other, ErrorCode::unknown},
};

// How long a client is asked to wait after 507: long enough for GC or an operator to free space.
constexpr int kNoSpaceRetryAfterSeconds = 30;

}  // namespace

OciError::OciError(ErrorCode code, std::string message)
    : code_(code), message_(std::move(message)) {
  if (message_.empty())
    message_ = std::string(code_info(code_).message);
}

OciError&& OciError::with_detail(const nlohmann::json& detail) && {
  detail_ = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return std::move(*this);
}

OciError&& OciError::with_header(std::string name, std::string value) && {
  headers_.emplace_back(std::move(name), std::move(value));
  return std::move(*this);
}

bool OciError::is_unknown() const noexcept {
  return code_ == ErrorCode::manifest_unknown || code_ == ErrorCode::blob_unknown ||
         code_ == ErrorCode::name_unknown;
}

void throw_exception_from_error(const OciError& e, const boost::source_location&) {
  throw std::logic_error("unchecked error " + std::string(e.info().name) + ": " + e.message());
}

server::Response render(const OciError& e) {
  nlohmann::json item = {{"code", e.info().name}, {"message", e.message()}};
  if (!e.detail().empty())
    item["detail"] = nlohmann::json::parse(e.detail(), nullptr, false);
  nlohmann::json body = {{"errors", nlohmann::json::array({std::move(item)})}};
  server::Response res;
  res.status = e.status();
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.set("content-type", "application/json");
  for (const auto& [name, value] : e.headers())
    res.set(name, value);
  return res;
}

server::Response render(Answer answer) {
  if (answer)
    return std::move(*answer);
  return render(answer.error());
}

OciError from_error(const Error& error, Resource resource) {
  for (const Mapping& m : kTable) {
    if (m.error == error.code && (m.resource == resource || m.resource == Resource::other)) {
      if (m.code == ErrorCode::unknown)
        return OciError(m.code);  // a server fault: the detail is not for the client
      OciError e(m.code, error.detail);
      if (error.code == Errc::no_space)
        return std::move(e).with_header("retry-after", std::to_string(kNoSpaceRetryAfterSeconds));
      return e;
    }
  }
  return OciError(ErrorCode::unknown);
}

server::Response route_not_found(const server::Request&) {
  return render(OciError(ErrorCode::not_found, "no such route"));
}

server::Response method_not_allowed(const server::Request& req) {
  return render(OciError(ErrorCode::unsupported, "method " + req.method + " is not allowed here"));
}

server::Response internal_error(const server::Request& req, std::string_view) {
  return render(OciError(ErrorCode::unknown, "internal error; request id " + req.request_id));
}

}  // namespace cairn::handlers
