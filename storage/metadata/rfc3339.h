// RFC 3339 timestamps, the form containerd's lease expiry label takes
// ("containerd.io/gc.expire": "2024-01-02T15:04:05Z") and the form JSON endpoints show.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"

#include <string>
#include <string_view>

namespace cairn::metadata {

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" ('t'/'z' and a space for 'T' are
// accepted too). Fractions beyond nanoseconds are truncated. Errors: invalid_argument.
Result<Timestamp> parse_rfc3339(std::string_view text);

// Formats `t` in UTC with nanoseconds when non-zero: "2024-01-02T15:04:05.123Z".
std::string format_rfc3339(Timestamp t);

}  // namespace cairn::metadata
