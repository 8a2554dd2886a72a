// FetchFailure: why the cache cannot give what a client asked of an upstream. The handler picks
// the OCI code (handlers/errors.h); this layer names no status.
#pragma once

#include "storage/common/result.h"

#include <boost/system/result.hpp>

#include <string>

namespace cairn::proxy {

struct FetchFailure {
  enum class Kind {
    unknown,   // the upstream has no such thing, or refuses it (404; for manifests 401, 403)
    upstream,  // the upstream failed: unreachable, an error status, too large, wrong bytes
    storage,   // storing what was fetched failed: storage_error says how
  };
  Kind kind = Kind::upstream;
  std::string detail;
  Errc storage_error = Errc::internal;  // kind == storage
};

// Lets Fetched<T>::value() compile; callers test and dereference instead of calling it.
[[noreturn]] void throw_exception_from_error(const FetchFailure& f,
                                             const boost::source_location& loc);

// What the cache gives: a T, or why not.
template <class T>
using Fetched = boost::system::result<T, FetchFailure>;

}  // namespace cairn::proxy
