// Names: the grammars of the identifiers a client chooses, checked before any reaches a key.
//
//   repository name (distribution-spec; at most kMaxRepositoryNameSize bytes in all):
//       component ("/" component)*
//       component ::= [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
//   tag:      [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
//   lease id: [A-Za-z0-9][A-Za-z0-9._-]{0,127}
//
// None of these can hold the 0x00 key separator (keys.h) or reach outside a directory. The
// matchers are hand-written (no std::regex): they run on every request. All are pure functions,
// safe from any thread.
#pragma once

#include "storage/common/result.h"

#include <cstddef>
#include <string_view>

namespace cairn::metadata {

inline constexpr size_t kMaxRepositoryNameSize = 255;
inline constexpr size_t kMaxTagSize = 128;
inline constexpr size_t kMaxLeaseIdSize = 128;

// Whether `name` is a valid repository (namespace) name.
bool is_valid_repository_name(std::string_view name) noexcept;
// Whether `tag` is a valid tag.
bool is_valid_tag(std::string_view tag) noexcept;
// Whether `id` is a valid lease id.
bool is_valid_lease_id(std::string_view id) noexcept;

// The same checks as errors. Errors: invalid_argument naming what was wrong (the value itself
// is quoted only up to 64 bytes).
Result<void> validate_repository_name(std::string_view name);
Result<void> validate_tag(std::string_view tag);
Result<void> validate_lease_id(std::string_view id);

}  // namespace cairn::metadata
