// Bounds checked before a JSON text is handed to a parser: a hostile token, key file or policy
// must not make nlohmann::json recurse two million levels deep.
#pragma once

#include <cstddef>
#include <string_view>

namespace cairn::auth {

// True when `text` nests arrays and objects at most `max_depth` levels deep (brackets inside
// strings, escapes included, are not counted). Linear; pure.
bool json_depth_within(std::string_view text, size_t max_depth);

}  // namespace cairn::auth
