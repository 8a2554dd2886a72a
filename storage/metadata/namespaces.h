// NamespaceStore: the namespaces (OCI repositories) of the metadata database and their labels.
//
// A namespace exists while it holds any key (blob, ingest, tag, manifest, lease or labels:
// see keys.h), so committing a blob into "library/alpine" creates it and no explicit create is
// needed; create() exists for clients that want an empty namespace with labels. Listing seeks
// from one namespace to the next, so it costs one seek per namespace however much each holds.
//
// Thread-safety: every method may be called from any thread. Reads take no lock.
#pragma once

#include "storage/common/result.h"
#include "storage/content/store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/paging.h"

#include <span>
#include <string>
#include <string_view>

namespace cairn::metadata {

class NamespaceStore {
 public:
  explicit NamespaceStore(Database& db) : db_(db) {}

  // Which namespaces a listing names: every one, or only those holding content (a blob, manifest
  // or tag record: what the OCI catalog calls a repository; an upload in progress, a lease or
  // labels alone do not make one).
  enum class Holding { anything, content };

  // Up to `n` namespace names (kNoLimit: all) greater than `last` (empty: from the start), in
  // lexical order. With Holding::content a namespace costs up to three more seeks.
  // Errors: invalid_argument (`last` is not a repository name), io.
  Result<NamePage> list(std::string_view last = {}, size_t n = kNoLimit,
                        Holding holding = Holding::anything) const;

  // Whether `ns` holds any key. Errors: invalid_argument (bad name), io.
  Result<bool> exists(std::string_view ns) const;
  // Whether `ns` holds a blob, manifest or tag record. Errors: invalid_argument, io.
  Result<bool> holds_content(std::string_view ns) const;

  // The labels of `ns` (empty when it has none). Errors: not_found (no such namespace),
  // invalid_argument, io, internal (corrupt record).
  Result<content::Labels> labels(std::string_view ns) const;

  // Creates `ns` with `labels`. Errors: already_exists, invalid_argument (bad name, a label over
  // content::kMaxLabelSize), io.
  Result<void> create(std::string_view ns, const content::Labels& labels = {});

  // Changes the labels of `ns` as content::Store::update does ("labels", "labels.<key>", empty
  // meaning "labels"), creating the namespace when it does not exist. Returns the new labels.
  // Errors: invalid_argument (bad name, bad field path, oversized label), io, internal.
  Result<content::Labels> update_labels(std::string_view ns, const content::Labels& labels,
                                        std::span<const std::string> fieldpaths = {});

  // Removes an empty namespace (one that holds nothing but its labels). Errors: not_found,
  // failed_precondition (it still holds blobs, tags, ...), invalid_argument, io.
  Result<void> remove(std::string_view ns);

 private:
  Database& db_;
};

}  // namespace cairn::metadata
