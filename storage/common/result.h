// Result and Error: how every fallible call in storage/ reports its outcome.
//
// storage/ never throws for an expected outcome (not found, conflict, bad input). A call
// returns Result<T>: either the value or an Error made of a small code and a detail string
// meant for people (it is safe to show a client: it never holds a full filesystem path).
// handlers/ maps (code, resource) to an OCI error code and HTTP status in one table.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace cairn {

// The error codes storage/ can return. Keep this list short; the detail string says more.
enum class Errc {
  not_found,            // the named thing does not exist (in this namespace)
  already_exists,       // it exists already (content committed, tag present, lease id taken)
  invalid_argument,     // the caller passed something malformed (digest, name, ref, label)
  failed_precondition,  // the request is well formed but the state forbids it
  digest_mismatch,      // committed bytes do not hash to the expected digest
  size_mismatch,        // committed bytes are not the expected size
  range_invalid,        // an offset or range lies outside the content
  unavailable,          // busy: e.g. another writer holds the ref; retry later
  no_space,             // the filesystem (or a quota) is full, or below --min-free-bytes: retry
                        // once space is freed (io_error gives it for ENOSPC and EDQUOT)
  denied,               // refused by a policy the operator set (a byte quota): not retryable
                        // until the policy or the usage changes
  io,                   // the operating system failed us (EIO, ...)
  internal,             // a broken invariant or corrupt record
};

// A printable name for `code` ("not_found", ...).
std::string_view errc_name(Errc code) noexcept;

struct Error {
  Errc code;
  std::string detail;

  friend bool operator==(const Error& a, Errc b) noexcept { return a.code == b; }
};

// Result<T> holds a T or an Error. Result<void> holds nothing or an Error.
template <class T>
using Result = boost::system::result<T, Error>;

// Shorthand for returning an error: `return fail(Errc::not_found, "blob " + d.str());`
inline Error fail(Errc code, std::string detail = {}) {
  return Error{code, std::move(detail)};
}

// Builds an Errc::io error from errno (or an explicit error number) and a short context
// such as "write ingest data"; Errc::no_space when the number is ENOSPC or EDQUOT.
Error io_error(std::string_view context, int err);
Error io_error(std::string_view context);

// Called by Result<T>::value() on an error; throws std::runtime_error with the detail.
// Only start-up code and tests call value() on a Result that may hold an error.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace cairn
