#include "proxy/fetch_failure.h"

#include <stdexcept>

namespace cairn::proxy {

void throw_exception_from_error(const FetchFailure& f, const boost::source_location&) {
  throw std::logic_error("unchecked fetch failure: " + f.detail);
}

}  // namespace cairn::proxy
