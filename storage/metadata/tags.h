// TagStore: the tags of each namespace (containerd's images bucket, reshaped for a registry).
//
// A tag names a manifest of its namespace: its target is that manifest's descriptor. Tags list
// in lexical (byte) order, a page at a time, as the distribution-spec's tags/list wants. Tag
// writes in one namespace serialise on one stripe (shared with ManifestStore::remove, which
// deletes the tags of a manifest it removes); writes in different namespaces run in parallel.
//
// Thread-safety: every method may be called from any thread. Reads take no lock.
#pragma once

#include "storage/common/result.h"
#include "storage/metadata/db.h"
#include "storage/metadata/paging.h"
#include "storage/metadata/records.h"

#include <span>
#include <string>
#include <string_view>

namespace cairn::metadata {

class TagStore {
 public:
  explicit TagStore(Database& db) : db_(db) {}

  // The tag `tag` of `ns`. Errors: not_found, invalid_argument (bad name or tag), io, internal.
  Result<TagRecord> get(std::string_view ns, std::string_view tag) const;

  // Points `tag` at `target` (creating the tag, or moving it and keeping its labels and
  // created_at). The target must be a manifest recorded in `ns` (ManifestStore::put first).
  // Returns the stored record. Errors: failed_precondition (no such manifest in `ns`),
  // invalid_argument (bad name, tag or labels), io, internal.
  Result<TagRecord> put(std::string_view ns, std::string_view tag, const Descriptor& target);

  // Changes a tag's labels as content::Store::update does. Errors: not_found, invalid_argument,
  // io, internal.
  Result<TagRecord> update_labels(std::string_view ns, std::string_view tag, const Labels& labels,
                                  std::span<const std::string> fieldpaths);

  // Removes a tag (its manifest stays; GC may collect it). Errors: not_found, invalid_argument,
  // io.
  Result<void> remove(std::string_view ns, std::string_view tag);

  // Up to `n` tag names of `ns` (kNoLimit: all) greater than `last` (empty: from the first), in
  // lexical order. An unknown namespace has no tags. Errors: invalid_argument, io.
  Result<NamePage> list(std::string_view ns, std::string_view last = {}, size_t n = kNoLimit) const;

 private:
  Database& db_;
};

// Adds to `update` the writes that point `tag` of `ns` at `target`, as TagStore::put does: a new
// tag is created at `now`; a moved one keeps its labels and created_at and marks the database
// dirty (its old manifest lost a ref; a new tag removes no ref). For a batch that writes more than
// the tag (ManifestStore::put): the caller has validated the names, holds the namespace's tag
// stripe (keys::tag_prefix(ns)) in `update`, and writes or knows the target manifest's record.
// Returns the record written. Errors: io, internal.
Result<TagRecord> set_tag(Database::Update& update, std::string_view ns, std::string_view tag,
                          const Descriptor& target, Timestamp now);

}  // namespace cairn::metadata
