// Repository globs of the access policy: the matcher lives in storage/common/glob.h (retention
// and quota rules use the same globs); these names keep auth's callers unchanged.
#pragma once

#include "storage/common/glob.h"

namespace cairn::auth {

using cairn::glob_match;
using cairn::valid_glob;

}  // namespace cairn::auth
