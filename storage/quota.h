// Quotas: byte limits per repository glob (config key "quotas"), over metadata::Usage.
//
// A namespace's use is the bytes it references: the sum of its blob records' sizes, each blob
// counted once per namespace however many of its manifests use it, shared or not with other
// namespaces (metadata/usage.h). The first rule whose glob (storage/common/glob.h) matches the
// name sets the limit; a name no rule matches has none. A write that would take the use past
// the limit is refused with Errc::denied (403 DENIED), its message naming the rule; a blob
// the namespace holds already adds nothing and is never refused. The check is an admission
// check: pushes racing in one namespace may together pass the limit by what they carry.
//
// Thread-safety: every method may be called from any thread; admit() and status() may scan a
// namespace's blob records the first time (Usage::bytes): call them off I/O threads.
#pragma once

#include "storage/common/result.h"
#include "storage/content/digest.h"
#include "storage/metadata/usage.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

struct QuotaRule {
  std::vector<std::string> repositories;  // globs; any match applies the rule
  int64_t bytes = 0;                      // the limit (>= 0)
};

struct QuotaPolicy {
  std::vector<QuotaRule> rules;

  // The first rule matching `ns`, or null.
  const QuotaRule* rule_for(std::string_view ns) const;
};

// What GET /v2/<name>/_quota shows.
struct QuotaStatus {
  int64_t used = 0;
  std::optional<int64_t> limit;  // none: no rule matches
  std::string rule;              // the matching glob ("" without a limit)
};

class Quotas {
 public:
  // `usage` must outlive the Quotas.
  Quotas(QuotaPolicy policy, metadata::Usage& usage) : policy_(std::move(policy)), usage_(usage) {}

  const QuotaPolicy& policy() const noexcept { return policy_; }

  // The use and limit of `ns`. Errors: io, internal.
  Result<QuotaStatus> status(std::string_view ns) const;

  // Whether `more` bytes may be added to `ns`. `held` says the namespace holds the blob already
  // (nothing is added). Errors: denied (over the limit: the message names the rule, the use
  // and the limit), io, internal. Without a rule for `ns` it reads nothing.
  Result<void> admit(std::string_view ns, int64_t more, bool held = false) const;

 private:
  QuotaPolicy policy_;
  metadata::Usage& usage_;
};

}  // namespace cairn
