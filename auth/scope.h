// Token scopes, as clients ask for them at the token endpoint (`?scope=`, repeatable; several
// scopes in one value are space-separated) and as the `access` claim of a token carries them:
//   repository:<name>:<actions>    e.g. "repository:team/app:pull,push"; the name may itself
//                                  hold ':' (a "host:5000/app" prefix): actions follow the
//                                  last ':'
//   registry:catalog:*             listing the repositories
// A resource type may carry a class in parentheses ("repository(plugin):x:pull"): dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::auth {

struct Scope {
  std::string type;  // "repository", "registry", ...
  std::string name;  // repository name, or "catalog"
  std::vector<std::string> actions;

  // "type:name:a,b" (the form of a WWW-Authenticate scope).
  std::string str() const;
  friend bool operator==(const Scope&, const Scope&) = default;
};

// Parses one scope. Returns false (leaving `out` unspecified) when it lacks a type, a name or
// the actions part, or is over 1024 characters. Pure.
bool parse_scope(std::string_view text, Scope& out);

// Parses every scope in `values` (each may hold several, space-separated), skipping malformed
// ones, at most 64 in all. Scopes naming the same (type, name) are merged, actions
// de-duplicated. Pure.
std::vector<Scope> parse_scopes(const std::vector<std::string>& values);

}  // namespace cairn::auth
