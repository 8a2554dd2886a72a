// Repository globs (the access policy, retention and quota rules): `*` matches within one path
// component (no '/'), `**` matches across components (any characters, '/' included). Every other
// character matches itself. "team/**" matches "team/app" and "team/a/b", not "team" nor
// "teamx/app"; "*/app" matches "x/app", not "x/y/app"; "**" matches every name.
#pragma once

#include <string_view>

namespace cairn {

// True when `name` matches `pattern`. Runs in O(|pattern| × |name|) time, so a hostile
// pattern cannot make it backtrack exponentially. Pure; thread-safe.
bool glob_match(std::string_view pattern, std::string_view name);

// True when `pattern` is a well-formed glob: non-empty, at most 255 characters, no '***', and
// only the characters of repository names ([a-z0-9._/-]) besides '*'.
bool valid_glob(std::string_view pattern);

}  // namespace cairn
