#include "storage/quota.h"

#include "storage/common/glob.h"

namespace cairn {

const QuotaRule* QuotaPolicy::rule_for(std::string_view ns) const {
  for (const QuotaRule& r : rules) {
    for (const std::string& g : r.repositories) {
      if (glob_match(g, ns))
        return &r;
    }
  }
  return nullptr;
}

namespace {

std::string glob_of(const QuotaRule& r, std::string_view ns) {
  for (const std::string& g : r.repositories) {
    if (glob_match(g, ns))
      return g;
  }
  return {};
}

}  // namespace

Result<QuotaStatus> Quotas::status(std::string_view ns) const {
  auto used = usage_.bytes(ns);
  if (!used)
    return used.error();
  QuotaStatus st;
  st.used = *used;
  if (const QuotaRule* r = policy_.rule_for(ns)) {
    st.limit = r->bytes;
    st.rule = glob_of(*r, ns);
  }
  return st;
}

Result<void> Quotas::admit(std::string_view ns, int64_t more, bool held) const {
  const QuotaRule* r = policy_.rule_for(ns);
  if (r == nullptr || held || more <= 0)
    return {};
  auto used = usage_.bytes(ns);
  if (!used)
    return used.error();
  if (*used + more <= r->bytes)
    return {};
  return fail(Errc::denied,
              "quota of repositories '" + glob_of(*r, ns) + "' exceeded: " + std::string(ns) +
                  " uses " + std::to_string(*used) + " bytes, this push adds " +
                  std::to_string(more) + ", the limit is " + std::to_string(r->bytes));
}

}  // namespace cairn
