// Usage: what a data root holds, per namespace and in all (`cairn du`, GET /_admin/du).
//
// Figures per namespace (from its metadata records):
//  - blobs / bytes: the blob records of the namespace and their sizes: what it references;
//  - unique: those no other namespace records; shared: those at least one other namespace
//    records too (deduplicated: the bytes exist once on disk however many namespaces record them,
//    and each of those namespaces counts them as shared);
//  - manifests, tags;
//  - ingests: upload sessions (records) and the bytes they have received so far.
// Totals, each blob counted once (by digest): all namespaces, pushed namespaces, cache
// namespaces (the pull-through cache's: UsageOptions::is_cache), and blobs shared by two or more
// namespaces; the blob files in the blob tree (recorded or not, as on disk) and the backend's
// ingests (with those no record names).
//
// Cost. The metadata is read twice, each time one LevelDB iterator over the blob and ingest
// keys of each namespace (seeking past its tags, manifests and leases): the first pass learns
// how many namespaces record each digest, the second adds up per namespace. Memory is bounded
// by the number of blob records, not their bytes: 24 bytes per record during the first pass
// (a 64-bit hash of the digest, the size, which side recorded it), sorted and folded to one
// entry per distinct digest for the second (10 million records: about 240 MB at the peak),
// plus one small entry per namespace and per ingest (bounded by the server's upload limits).
// Two digests whose hashes collide would count as one shared blob: at 2^-64 per pair, not a
// concern below billions of blobs. The blob tree is walked once (one stat per file) and the
// ingest directories are listed once.
//
// Consistency: on a live server the passes run while writers do, so a blob pushed meanwhile may
// be missing from a total or counted as unique; each figure is exact for a root nobody writes.
//
// Thread-safety: compute_usage() may run from any thread, concurrently with everything else; it
// blocks on the disk for the whole walk (run it on the offload pool).
#pragma once

#include "storage/common/progress.h"
#include "storage/common/result.h"
#include "storage/storage.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// A count of blobs (or ingests) and their bytes.
struct UsageCount {
  int64_t count = 0;
  int64_t bytes = 0;

  void add(int64_t size) {
    ++count;
    bytes += size;
  }
  friend bool operator==(const UsageCount&, const UsageCount&) = default;
};

struct NamespaceUsage {
  std::string name;
  bool cache = false;  // a namespace of the pull-through cache
  UsageCount blobs;    // every blob record of the namespace
  UsageCount unique;   // recorded by this namespace alone
  UsageCount shared;   // recorded by other namespaces too
  int64_t manifests = 0;
  int64_t tags = 0;
  UsageCount ingests;  // upload sessions; bytes received so far

  friend bool operator==(const NamespaceUsage&, const NamespaceUsage&) = default;
};

struct Usage {
  std::vector<NamespaceUsage> namespaces;  // in name order
  // Distinct blobs (each digest once) recorded by any namespace, by a pushed namespace, by a
  // cache namespace, and by two or more namespaces.
  UsageCount all;
  UsageCount pushed;
  UsageCount cache;
  UsageCount shared;
  // The sum of every namespace's bytes (a blob counted once per namespace recording it): what
  // the data would take without deduplication. all.bytes / referenced is the saving.
  int64_t referenced_bytes = 0;
  UsageCount files;    // blob files in the blob tree (recorded or not)
  UsageCount ingests;  // the backend's ingests: every upload in progress, bytes received

  friend bool operator==(const Usage&, const Usage&) = default;
};

struct UsageOptions {
  // Whether a namespace is the pull-through cache's (proxy/cache.h names them); none when empty.
  std::function<bool(std::string_view ns)> is_cache;
  // Walk the blob tree and the ingest directories for `files` and `ingests` (else left 0).
  bool scan_files = true;
  // For a command line (cairn du): phase "listing" counts the blob files walked (total
  // unknown). Called on the walking thread.
  ProgressFn on_progress;
};

// Adds up what `storage` holds. Blocks on the disk. Errors: io (LevelDB or the blob tree),
// internal (a corrupt record).
Result<Usage> compute_usage(Storage& storage, const UsageOptions& options = {});

}  // namespace cairn
