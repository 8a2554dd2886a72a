// The access policy (`--access-policy FILE`): who may pull, push and delete in which
// repositories, and who administers the server. JSON:
//
//   {"anonymous": [{"repositories": ["public/**"], "actions": ["pull"]}],
//    "rules": [{"users": ["alice"], "repositories": ["team/**"], "actions":
//    ["pull","push","delete"]},
//              {"users": ["*"], "repositories": ["shared/*"], "actions": ["pull"]}],
//    "admins": ["root"]}
//
// - "anonymous": what a caller without credentials may do.
// - "rules": each grants its actions on the repositories matching any of its globs (see
//   auth/glob.h) to the users it names; "*" names every authenticated user. Grants add up:
//   a user's actions on a repository are the union of every rule naming them (anonymous
//   grants apply to authenticated users too).
// - "admins": users who may do everything, the server-wide /_admin routes included.
// - actions: "pull", "push", "delete", or "*" for all three.
// Unknown keys, wrong types and malformed globs are errors (a typo must not open a hole).
// Without a policy file (Policy::everyone_authenticated) every authenticated user may do
// everything and an anonymous caller nothing.
#pragma once

#include "auth/action.h"
#include "storage/common/result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::auth {

// Who is asking: nullopt is the anonymous caller; otherwise an authenticated user name.
using Who = std::optional<std::string_view>;

class Policy {
 public:
  // Parses a policy document (at most 1 MiB, 32 levels deep). Errors: invalid_argument with a
  // message naming the offending key or rule. Pure.
  static Result<Policy> parse(std::string_view json);

  // The policy without a file: authenticated users may do everything, anonymous nothing.
  static Policy everyone_authenticated();

  // The actions `who` holds on `repository` (admin included when `who` is an admin).
  ActionSet actions(Who who, std::string_view repository) const;
  // True when `who` may use the server-wide admin routes.
  bool is_admin(Who who) const;
  // True when some rule grants `who` pull on every repository ("**"): such a caller may be
  // shown any blob (e.g. an automatic cross-repository mount).
  bool pulls_everything(Who who) const;
  // True when anonymous callers are granted anything at all.
  bool has_anonymous() const { return !anonymous_.empty(); }

 private:
  struct Rule {
    std::vector<std::string> users;  // "*": any authenticated user
    std::vector<std::string> repositories;
    ActionSet actions = kNoActions;
  };
  bool names(const Rule& r, Who who) const;

  std::vector<Rule> anonymous_;
  std::vector<Rule> rules_;
  std::vector<std::string> admins_;
  bool all_authenticated_ = false;
};

}  // namespace cairn::auth
