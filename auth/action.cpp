#include "auth/action.h"

namespace cairn::auth {

std::optional<ActionSet> parse_action(std::string_view word) {
  if (word == "pull")
    return bit(Action::pull);
  if (word == "push")
    return bit(Action::push);
  if (word == "delete")
    return bit(Action::remove);
  if (word == "*")
    return kRepositoryActions;
  return std::nullopt;
}

std::string action_words(ActionSet set) {
  std::string out;
  auto add = [&](Action a, std::string_view w) {
    if (has(set, a)) {
      if (!out.empty())
        out += ',';
      out += w;
    }
  };
  add(Action::pull, "pull");
  add(Action::push, "push");
  add(Action::remove, "delete");
  return out;
}

}  // namespace cairn::auth
