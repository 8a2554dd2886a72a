// Actions on a repository, as the access policy and the Docker token protocol name them:
// pull (read), push (write), delete (remove) — plus admin, which only the policy's "admins"
// hold and which covers the server-wide routes (/_admin/*). A set of actions is a bitmask.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cairn::auth {

enum class Action : unsigned { pull = 1, push = 2, remove = 4, admin = 8 };

using ActionSet = unsigned;
inline constexpr ActionSet kNoActions = 0;
inline constexpr ActionSet kRepositoryActions = 1 | 2 | 4;  // pull, push, delete
inline constexpr ActionSet kAllActions = 1 | 2 | 4 | 8;

constexpr ActionSet bit(Action a) {
  return static_cast<ActionSet>(a);
}
constexpr bool has(ActionSet set, Action a) {
  return (set & bit(a)) != 0;
}

// "pull" → pull, "push" → push, "delete" → remove, "*" → every repository action. nullopt for
// any other word.
std::optional<ActionSet> parse_action(std::string_view word);

// The words of `set` in canonical order, comma-separated ("pull,push,delete"); admin is not a
// repository action and is never written.
std::string action_words(ActionSet set);

}  // namespace cairn::auth
