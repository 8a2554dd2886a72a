// Fuzzes the access-policy parser (auth/policy.h) with any text as the --access-policy file,
// then asks the parsed policy about a few callers and repositories. Invariants: an error says
// why; anonymous callers are never admins; an admin holds every action.
#include "auth/policy.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace cairn::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = Policy::parse(text);
  if (!policy) {
    if (policy.error().detail.empty())
      std::abort();
    return 0;
  }
  if (policy->is_admin(std::nullopt))
    std::abort();
  for (Who who : {Who(), Who("alice"), Who("root"), Who("*")}) {
    for (std::string_view repo : {"team/app", "public/x/y", "a", "library/alpine"}) {
      ActionSet actions = policy->actions(who, repo);
      if (who && policy->is_admin(who) && (actions & kRepositoryActions) != kRepositoryActions)
        std::abort();
    }
    (void)policy->pulls_everything(who);
  }
  return 0;
}
