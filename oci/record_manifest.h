// Storing a manifest: its bytes as a blob of the namespace, then its record, referrer entry and
// tags. What a manifest PUT (handlers/manifests.cpp) and a cache fill (proxy/manifest_fetch.cpp)
// both do once the manifest was checked.
#pragma once

#include "oci/manifest_parser.h"
#include "storage/common/result.h"
#include "storage/content/digest.h"
#include "storage/metadata/content_store.h"
#include "storage/storage.h"

#include <span>
#include <string>
#include <string_view>

namespace cairn::oci {

// Stores manifest `body` (whose digest is `digest`, parsed as `parsed`) in scope.ns: a blob
// commit of the bytes (durable when it returns: fsync of the data, then of blobs/<alg>), then
// the record, referrer entry and `tags` in one metadata batch (ManifestStore::put, fsynced).
// A cut between the two leaves a manifest blob without a record, which GC sweeps. Blocks: run
// it on the offload pool. Does not check that the manifest's children are present.
Result<void> record_manifest(Storage& storage, const metadata::Scope& scope,
                             const content::Digest& digest, std::string_view body,
                             const ParsedManifest& parsed, std::span<const std::string> tags);

}  // namespace cairn::oci
