// ManifestStore: the manifests of each namespace, what they refer to, and the referrers index.
//
// A manifest's bytes are a blob of its namespace (committed through ContentStore first); its
// ManifestRecord lists the content it refers to (config, layers, index entries, subject) so GC
// can walk from tags to blobs without parsing JSON, as containerd does with gc.ref labels.
// When a manifest has a subject, put() also writes v1·ns·referrer·<subject>·<digest> in the same
// batch (as it does the tags a PUT names), and remove() deletes it in the same batch, so the
// referrers API is one prefix scan. Parsing manifests is the caller's job (handlers/): this store
// takes the parsed record.
//
// Thread-safety: every method may be called from any thread. Reads take no lock.
#pragma once

#include "storage/common/result.h"
#include "storage/metadata/db.h"
#include "storage/metadata/paging.h"
#include "storage/metadata/records.h"
#include "storage/metadata/usage.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::metadata {

class ManifestStore {
 public:
  // `db` (and `usage`, whose namespace total remove() forgets; null: none) must outlive it.
  explicit ManifestStore(Database& db, Usage* usage = nullptr) : db_(db), usage_(usage) {}

  // The record of manifest `digest` in `ns`. Errors: not_found, invalid_argument, io, internal.
  Result<ManifestRecord> get(std::string_view ns, const Digest& digest) const;

  // Every manifest of `ns` with its record, in digest order. Errors: invalid_argument, io,
  // internal.
  Result<std::vector<std::pair<Digest, ManifestRecord>>> list(std::string_view ns) const;

  // Records manifest `digest` in `ns` (replacing a previous record, whose created_at is kept;
  // created_at of a new one is now). When record.subject is set it is added to the children as
  // ChildKind::subject if missing, and the referrer entry is written in the same batch.
  // With `tags`, each is pointed at the manifest (TagStore::put's rules) in that same batch: a
  // manifest PUT's record, referrer entry and tags are durable together or not at all.
  // Returns the stored record. Errors: invalid_argument (bad name, tag, empty digest, negative
  // size), io, internal.
  Result<ManifestRecord> put(std::string_view ns, const Digest& digest, ManifestRecord record,
                             std::span<const std::string> tags = {});

  // Removes manifest `digest` from `ns` in one batch: its record, its referrer entry, every tag
  // of `ns` that points at it, and the blob record of its bytes. With `if_untagged` (retention)
  // a tag pointing at it refuses the removal instead (failed_precondition). Errors: not_found,
  // invalid_argument, io, internal.
  Result<void> remove(std::string_view ns, const Digest& digest, bool if_untagged = false);

  // One page of referrers (referrers()).
  struct ReferrerPage {
    std::vector<Descriptor> descriptors;
    // When the listing goes on: the digest to pass as `after` for the next page (the last
    // entry visited, which a filtered page may not have returned).
    std::optional<std::string> next;
  };

  // The descriptors of the manifests of `ns` whose subject is `subject`, in digest order; only
  // those with that artifactType when `artifact_type` is given. A page holds at most `n`
  // (kNoLimit: all) of those after digest `after` (empty: from the first), and visits at most
  // kReferrerScanFactor * n entries, so a filter matching few of many still answers promptly.
  // An unknown subject has no referrers (the referrers API answers an empty index). Errors:
  // invalid_argument, io, internal.
  Result<ReferrerPage> referrers(std::string_view ns, const Digest& subject,
                                 std::optional<std::string_view> artifact_type = std::nullopt,
                                 std::string_view after = {}, size_t n = kNoLimit) const;
  static constexpr size_t kReferrerScanFactor = 16;

 private:
  Database& db_;
  Usage* usage_ = nullptr;
};

}  // namespace cairn::metadata
