#include "storage/common/result.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cairn {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::not_found:
      return "not_found";
    case Errc::already_exists:
      return "already_exists";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::failed_precondition:
      return "failed_precondition";
    case Errc::digest_mismatch:
      return "digest_mismatch";
    case Errc::size_mismatch:
      return "size_mismatch";
    case Errc::range_invalid:
      return "range_invalid";
    case Errc::unavailable:
      return "unavailable";
    case Errc::no_space:
      return "no_space";
    case Errc::denied:
      return "denied";
    case Errc::io:
      return "io";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

Error io_error(std::string_view context, int err) {
  std::string detail(context);
  detail += ": ";
  detail += std::strerror(err);
  const bool full = err == ENOSPC || err == EDQUOT;
  return Error{full ? Errc::no_space : Errc::io, std::move(detail)};
}

Error io_error(std::string_view context) {
  return io_error(context, errno);
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(std::string(errc_name(e.code)) + ": " + e.detail);
}

}  // namespace cairn
