// OciError: the typed error a handler returns, and the one table that maps storage errors to it.
//
// Every failure a client can cause is answered with the distribution-spec error body
//   {"errors":[{"code":"BLOB_UNKNOWN","message":"...","detail":...}]}
// and the status the registry (handlers/error_codes.h) gives that code. A handler does not
// build that body: it returns an OciError (a code, a message, optional detail and headers) in
// its Answer, and the route table (handlers/routes.cpp) renders it at the boundary. No handler
// picks a status: a storage error becomes an OciError through from_error(error, resource).
#pragma once

#include "handlers/error_codes.h"
#include "server/http.h"
#include "storage/common/result.h"

#include <boost/system/result.hpp>
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::handlers {

class OciError {
 public:
  // An error with `code` and `message` (the code's default message when empty).
  explicit OciError(ErrorCode code, std::string message = {});
  // UNKNOWN (what boost::system::result::error() makes of a result that holds a value).
  OciError() : OciError(ErrorCode::unknown) {}

  ErrorCode code() const noexcept { return code_; }
  const ErrorCodeInfo& info() const noexcept { return code_info(code_); }
  // The status registered for the code.
  unsigned status() const noexcept { return info().status; }
  const std::string& message() const noexcept { return message_; }
  // The "detail" JSON, serialized; empty when there is none.
  const std::string& detail() const noexcept { return detail_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }

  // Adds the body's "detail" (any JSON value).
  OciError&& with_detail(const nlohmann::json& detail) &&;
  // Adds a header to the answer (Retry-After, Range, Location…).
  OciError&& with_header(std::string name, std::string value) &&;

  // Whether the code says the thing asked for does not exist: MANIFEST_UNKNOWN, BLOB_UNKNOWN
  // or NAME_UNKNOWN. The pull-through cache asks this, never for a status.
  bool is_unknown() const noexcept;

 private:
  ErrorCode code_;
  std::string message_;
  std::string detail_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// Lets Checked<T>::value() compile; handlers test and dereference instead of calling it.
[[noreturn]] void throw_exception_from_error(const OciError& e, const boost::source_location&);

// A value, or the error a handler answers instead:
//
//   auto name = repository(req);
//   if (!name) co_return name.error();
template <class T>
using Checked = boost::system::result<T, OciError>;

// What a handler returns: its response, or the error the route table renders.
using Answer = Checked<server::Response>;

// The error body and headers of `e`, with its registered status. The route table calls it for
// every handler's error; the guard and the 404/405/500 fallbacks call it directly.
server::Response render(const OciError& e);
// An Answer as a Response: the value, or render(error).
server::Response render(Answer answer);

// What a handler was acting on, which decides e.g. whether not_found is BLOB_UNKNOWN or
// MANIFEST_UNKNOWN.
enum class Resource { blob, upload, manifest, tag, repository, lease, ingest, other };

// The OCI error for a storage error, by (error code, resource). A server-side fault (io,
// internal) is UNKNOWN with the default message (the detail is for the log, not the client);
// no_space adds Retry-After.
OciError from_error(const Error& error, Resource resource);

// 404 NOT_FOUND for a path that no route matches.
server::Response route_not_found(const server::Request& req);
// 405 UNSUPPORTED for a known path with a method it does not take.
server::Response method_not_allowed(const server::Request& req);
// 500 UNKNOWN naming the request id, for the last-resort exception boundary.
server::Response internal_error(const server::Request& req, std::string_view what);

}  // namespace cairn::handlers
