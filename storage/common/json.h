// Parsing JSON that comes from outside: request bodies, manifests, upstream replies, config and
// policy files. nlohmann's parser keeps a frame per open array or object, so a few MiB of '['
// cost hundreds of MiB before it fails; every outside text is therefore checked for nesting
// depth by a byte scan (which allocates nothing) before the parser sees it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace cairn {

// The deepest nesting any document cairn reads needs (a manifest: 4) with a wide margin.
inline constexpr size_t kMaxJsonDepth = 64;

// Whether no array or object in `text` is nested deeper than `max_depth` (brackets inside
// strings do not count). Says nothing else about whether `text` is valid JSON. Linear, no
// allocation.
bool json_depth_within(std::string_view text, size_t max_depth = kMaxJsonDepth);

// Parses `text`; the result is discarded (is_discarded()) when `text` is not valid JSON or
// nests deeper than `max_depth`. Never throws.
nlohmann::json parse_json(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace cairn
