// Retention: which tags and manifests a repository keeps (config key "retention"), applied by
// the GC scheduler before each collection (zot's retention policies, containerd's GC rules).
//
// A rule names repositories by glob (storage/common/glob.h); the first rule matching a name
// governs it, a name no rule matches keeps everything. A rule's tag criteria:
//  - keep_newest N: the N tags pushed (created or moved) last;
//  - keep_within D: tags pushed or pulled within D (pull times: metadata/pull_times.h);
//  - keep_tags: tags whose name fully matches one of these regular expressions (RE2);
// A tag meeting any criterion is kept; the others are untagged. A rule with none of the three
// untags nothing. untagged_older_than D also deletes manifests no tag names that were created
// more than D ago (without it, a manifest untagged before this run stays).
//
// What is never removed, whatever the rule says:
//  - a manifest whose bytes a lease holds or whose blob record carries gc.root
//    (containerd's rule: leases and roots win), and every tag naming it;
//  - a manifest a kept manifest refers to (an index's entries, a referrer's subject), and a
//    manifest whose subject is kept (signatures, SBOMs of a kept image), transitively.
// A manifest that loses its last tag to retention is deleted (ManifestStore::remove: its
// record and its bytes' blob record), so the collector that runs next sweeps whatever blobs
// only it used. Untagging is conditional: a tag moved since it was read is left alone, and a
// manifest tagged again since is not deleted.
//
// Dry run (RetentionOptions::dry_run, or apply(true)): the same evaluation, nothing changes;
// the report says what would go.
//
// Thread-safety: apply() may be called from any thread (the scheduler serialises its runs);
// it blocks on LevelDB.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/digest.h"
#include "storage/metadata/db.h"
#include "storage/metadata/manifests.h"
#include "storage/metadata/namespaces.h"
#include "storage/metadata/pull_times.h"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::gc {

struct RetentionRule {
  std::vector<std::string> repositories;  // globs
  std::optional<size_t> keep_newest;
  std::optional<std::chrono::nanoseconds> keep_within;
  std::vector<std::string> keep_tags;  // RE2 patterns, matched against the whole tag
  std::optional<std::chrono::nanoseconds> untagged_older_than;

  // Whether any tag criterion is set (else no tag is untagged).
  bool limits_tags() const { return keep_newest || keep_within || !keep_tags.empty(); }
};

struct RetentionPolicy {
  std::vector<RetentionRule> rules;
  bool dry_run = false;  // evaluate and report only (config "retention-dry-run")

  // The first rule matching `ns`, or null.
  const RetentionRule* rule_for(std::string_view ns) const;
};

// Checks a rule's patterns compile. Errors: invalid_argument naming the bad pattern.
Result<void> validate(const RetentionRule& rule);

// What one namespace holds, as retention sees it.
struct RetentionInput {
  struct Tag {
    std::string name;
    content::Digest target;
    Timestamp pushed{};                 // TagRecord::updated_at
    std::optional<Timestamp> pulled{};  // PullTimes
  };
  struct Manifest {
    content::Digest digest;
    Timestamp created{};
    std::vector<content::Digest> refers_to;  // index entries and subject
    std::optional<content::Digest> subject;
    bool pinned = false;  // a lease holds its bytes, or they carry gc.root
  };
  std::vector<Tag> tags;
  std::vector<Manifest> manifests;
};

// What retention removes from one namespace.
struct RetentionPlan {
  std::vector<std::string> tags;           // to untag, by name (sorted)
  std::vector<content::Digest> manifests;  // to delete (sorted)
};

// Evaluates `rule` over `input` at `now`. Pure.
RetentionPlan plan(const RetentionRule& rule, const RetentionInput& input, Timestamp now);

// The figures of one application (all namespaces).
struct RetentionReport {
  bool dry_run = false;
  size_t namespaces = 0;         // namespaces a rule governs
  size_t removed_tags = 0;       // untagged (would be, when dry_run)
  size_t removed_manifests = 0;  // deleted (would be, when dry_run)
  // "<name>:<tag>" and "<name>@<digest>", the first kListLimit of each.
  std::vector<std::string> tags;
  std::vector<std::string> manifests;
  static constexpr size_t kListLimit = 1000;

  friend bool operator==(const RetentionReport&, const RetentionReport&) = default;
};

class Retention {
 public:
  // Every reference must outlive the Retention.
  Retention(RetentionPolicy policy, metadata::Database& db, metadata::NamespaceStore& namespaces,
            metadata::ManifestStore& manifests, metadata::PullTimes& pulls)
      : policy_(std::move(policy)),
        db_(db),
        namespaces_(namespaces),
        manifests_(manifests),
        pulls_(pulls) {}

  const RetentionPolicy& policy() const noexcept { return policy_; }
  bool empty() const noexcept { return policy_.rules.empty(); }

  // Evaluates every namespace a rule governs and, unless `dry_run` (or the policy's dry_run),
  // untags and deletes what the rules say. Errors: io, no_space, unavailable (a write failed:
  // what was done stays done), internal (a corrupt record).
  Result<RetentionReport> apply(bool dry_run = false);

 private:
  Result<RetentionInput> read(std::string_view ns, Timestamp now);
  // Deletes tag `tag` of `ns` (and its pulled key) if it still names `target`.
  Result<bool> untag(std::string_view ns, std::string_view tag, const content::Digest& target);

  RetentionPolicy policy_;
  metadata::Database& db_;
  metadata::NamespaceStore& namespaces_;
  metadata::ManifestStore& manifests_;
  metadata::PullTimes& pulls_;
};

}  // namespace cairn::gc
