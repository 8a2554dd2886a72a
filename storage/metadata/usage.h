// Usage: the bytes each namespace references, for byte quotas (storage/quota.h).
//
// A namespace's usage is the sum of the sizes of its blob records (v1·ns·blob·<digest>): every
// blob it can serve (layers, configs, manifests' bytes), each counted once per namespace however
// many manifests or tags refer to it, whether its bytes are shared with other namespaces or not.
// Ingests in progress are not counted until they commit.
//
// The total is not stored: it is computed from the blob records the first time a namespace is
// asked about (one prefix scan of its blob records: O(blobs in the namespace), never the whole
// database), then kept in memory and moved by the stores as they commit: ContentStore adds a
// new record's size after its batch committed; a removal (blob or manifest DELETE, a GC sweep,
// fsck repair) forgets the namespace's total, which the next question recomputes. So the total
// is exact after a crash or restart (it is rebuilt from the records), and a push costs no
// extra key in its batch nor a lock shared by the pushes of one namespace.
//
// Over a database other processes write too (Database::shared(): replicas), nothing is kept:
// every question is one prefix scan, so the fleet's pushes count wherever they landed.
//
// Thread-safety: every method may be called from any thread. bytes() blocks on a scan the first
// time (call it off I/O threads); the notifications are quick.
#pragma once

#include "storage/common/result.h"
#include "storage/metadata/db.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace cairn::metadata {

class Usage {
 public:
  // `db` must outlive the Usage.
  explicit Usage(const Database& db) : db_(db) {}

  // The bytes namespace `ns` references (the sum of its blob records' sizes); 0 for a namespace
  // without blobs. Errors: io, internal (a corrupt blob record).
  Result<int64_t> bytes(std::string_view ns);

  // A blob record of `size` bytes was created in `ns` (its batch committed).
  void added(std::string_view ns, int64_t size);
  // Records of `ns` were removed: its total is recomputed when next asked.
  void forget(std::string_view ns);
  // Records of any namespace may have been removed (a GC sweep): every total is recomputed.
  void forget_all();

 private:
  struct Entry {
    int64_t bytes = 0;
    bool valid = false;
    uint64_t version = 0;  // moved by every notification, so a scan racing one is not cached
  };

  const Database& db_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;  // guarded by mutex_
  uint64_t epoch_ = 0;                                 // moved by forget_all (guarded by mutex_)
};

}  // namespace cairn::metadata
