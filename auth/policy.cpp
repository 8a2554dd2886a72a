#include "auth/policy.h"

#include "auth/glob.h"
#include "storage/common/json.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace cairn::auth {
namespace {

using nlohmann::json;

Result<std::vector<std::string>> strings(const json& j, const std::string& where) {
  if (!j.is_array())
    return fail(Errc::invalid_argument, where + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty())
      return fail(Errc::invalid_argument, where + " must hold non-empty strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

Result<Policy> Policy::parse(std::string_view text) {
  if (text.size() > (1u << 20))
    return fail(Errc::invalid_argument, "the access policy is larger than 1 MiB");
  if (!cairn::json_depth_within(text, 32))
    return fail(Errc::invalid_argument, "the access policy nests deeper than 32 levels");
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail(Errc::invalid_argument, "the access policy is not a JSON object");
  Policy p;
  auto rule_of = [](const json& r, const std::string& where, bool anonymous) -> Result<Rule> {
    if (!r.is_object())
      return fail(Errc::invalid_argument, where + " must be an object");
    Rule rule;
    bool have_repos = false, have_actions = false;
    for (const auto& [key, value] : r.items()) {
      if (key == "users" && !anonymous) {
        auto users = strings(value, where + ".users");
        if (!users)
          return users.error();
        rule.users = std::move(*users);
      } else if (key == "repositories") {
        auto repos = strings(value, where + ".repositories");
        if (!repos)
          return repos.error();
        for (const auto& g : *repos) {
          if (!valid_glob(g))
            return fail(Errc::invalid_argument, where + ": invalid repository glob \"" + g + "\"");
        }
        rule.repositories = std::move(*repos);
        have_repos = true;
      } else if (key == "actions") {
        auto words = strings(value, where + ".actions");
        if (!words)
          return words.error();
        for (const auto& w : *words) {
          auto a = parse_action(w);
          if (!a) {
            return fail(Errc::invalid_argument,
                        where + ": unknown action \"" + w + "\" (pull, push, delete or *)");
          }
          rule.actions |= *a;
        }
        have_actions = true;
      } else if (key == "comment") {
        continue;
      } else {
        return fail(Errc::invalid_argument, where + ": unknown key \"" + key + "\"");
      }
    }
    if (!have_repos || !have_actions)
      return fail(Errc::invalid_argument, where + " needs \"repositories\" and \"actions\"");
    if (!anonymous && rule.users.empty())
      return fail(Errc::invalid_argument, where + " needs \"users\"");
    return rule;
  };
  for (const auto& [key, value] : doc.items()) {
    if (key == "anonymous" || key == "rules") {
      if (!value.is_array())
        return fail(Errc::invalid_argument, "\"" + key + "\" must be an array of rules");
      size_t i = 0;
      for (const auto& r : value) {
        auto rule = rule_of(r, key + "[" + std::to_string(i++) + "]", key == "anonymous");
        if (!rule)
          return rule.error();
        (key == "anonymous" ? p.anonymous_ : p.rules_).push_back(std::move(*rule));
      }
    } else if (key == "admins") {
      auto admins = strings(value, "admins");
      if (!admins)
        return admins.error();
      p.admins_ = std::move(*admins);
    } else if (key == "comment") {
      continue;
    } else {
      return fail(Errc::invalid_argument, "unknown key \"" + key + "\" (anonymous, rules, admins)");
    }
  }
  return p;
}

Policy Policy::everyone_authenticated() {
  Policy p;
  p.all_authenticated_ = true;
  return p;
}

bool Policy::names(const Rule& r, Who who) const {
  if (!who)
    return false;
  return std::any_of(r.users.begin(), r.users.end(),
                     [&](const std::string& u) { return u == "*" || u == *who; });
}

bool Policy::is_admin(Who who) const {
  if (!who)
    return false;
  if (all_authenticated_)
    return true;
  return std::find(admins_.begin(), admins_.end(), *who) != admins_.end();
}

ActionSet Policy::actions(Who who, std::string_view repository) const {
  if (is_admin(who))
    return kAllActions;
  ActionSet set = kNoActions;
  auto add = [&](const Rule& r) {
    for (const auto& g : r.repositories) {
      if (glob_match(g, repository)) {
        set |= r.actions;
        return;
      }
    }
  };
  for (const Rule& r : anonymous_)
    add(r);
  for (const Rule& r : rules_) {
    if (names(r, who))
      add(r);
  }
  return set;
}

bool Policy::pulls_everything(Who who) const {
  if (is_admin(who))
    return true;
  auto everything = [](const Rule& r) {
    return has(r.actions, Action::pull) &&
           std::find(r.repositories.begin(), r.repositories.end(), "**") != r.repositories.end();
  };
  for (const Rule& r : anonymous_) {
    if (everything(r))
      return true;
  }
  for (const Rule& r : rules_) {
    if (names(r, who) && everything(r))
      return true;
  }
  return false;
}

}  // namespace cairn::auth
