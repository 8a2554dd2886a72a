// Collector: online garbage collection of the metadata database and the blob tree
// (containerd's metadata.DB.GarbageCollect with pkg/gc's mark and sweep), per namespace.
//
// Graph. Nodes are the records of one namespace: blobs (by digest), ingests (by ref), leases.
// Roots:
//  - tags (their target manifest);
//  - every manifest record: a manifest is kept until it is deleted (ManifestStore::remove),
//    whether it was pushed by tag or by digest;
//  - the resources of unexpired leases (a lease with kFlatLabel pins only its own resources:
//    GC follows no edge out of them);
//  - blobs labelled kRootLabel;
//  - blobs whose record is younger than GcOptions::grace (clients without leases are
//    protected while they push the rest of an image);
//  - ingests with expire_at in the future, or held by an unexpired lease.
// Edges: a manifest's children (config, layers, index entries, subject), and labels
// kRefContentLabel / kRefContentLabel + ".<anything>" on any blob, whose value is a digest in
// the same namespace. A blob record is live or dead within its namespace only.
//
// Phases of collect():
//  1. mark, holding nothing: the database's change journal is started (under wlock, briefly),
//     then one LevelDB iterator (a consistent snapshot) is walked namespace by namespace and
//     marked in memory. The backend's blob files are listed too.
//  2. catch up, holding nothing: GC re-marks from the keys journaled so far over the current
//     state, a few rounds, until a round sees few changes (marks only grow, and a key changed
//     again is journaled again, so this is sound without the lock);
//  3. sweep, holding wlock (writers wait, readers never do): the journal now names the last
//     keys changed; GC re-marks from them, drops any candidate a key journaled since phase 1
//     touches, and deletes in ONE WriteBatch: dead blob records,
//     dead ingest records, expired leases with their resource keys. The dirty flag is cleared
//     unless a reference was removed while marking.
//  4. files, holding nothing or ContentStore::lock_exclusive() in chunks: dead ingests are
//     aborted in the backend; blob files that no namespace records (by the scan minus the sweep,
//     plus any blob key journaled until the chunk's lock is taken) are deleted; backend ingests
//     "<ns>@<ref>" without an ingest record, idle for at least the grace period, are aborted.
// Records are deleted before files, so a crash at any point leaves no record without its file;
// what a crash leaves behind (files, ingests) the next collection sweeps.
//
// Replicas over one PostgreSQL database (Database::shared()): wlock and the content lock are
// also taken in the database (FleetLock), the journal lists every replica's writes
// (Engine::changed_since), and runs are serialised across the fleet (an advisory lock held for
// the whole run), so one replica collects at a time.
//
// Thread-safety: collect() may be called from any thread; runs are serialised. One Collector per
// Database (the journal is a single slot).
#pragma once

#include "storage/common/clock.h"
#include "storage/common/progress.h"
#include "storage/common/result.h"
#include "storage/content/store.h"
#include "storage/gc/retention.h"
#include "storage/metadata/content_store.h"
#include "storage/metadata/db.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>

namespace cairn::gc {

// A blob labelled with this (any value) is a root.
inline constexpr std::string_view kRootLabel = "containerd.io/gc.root";
// A blob labelled with this, or with this followed by ".<anything>", refers to the digest in
// the label's value (same namespace).
inline constexpr std::string_view kRefContentLabel = "containerd.io/gc.ref.content";
// A lease labelled with this (any value) pins only its own resources.
inline constexpr std::string_view kFlatLabel = "containerd.io/gc.flat";

// The root rule, in one place for the collector and the cache's eviction (proxy/cache.cpp):
// a blob is a root when labelled kRootLabel, or while its record is younger than `grace` (0: no
// grace). Pure.
bool is_root(const content::Labels& labels, Timestamp created_at, Timestamp now,
             std::chrono::nanoseconds grace);
// Whether a lease expiring at `expire_at` (none: never) still holds its resources at `now`.
inline bool lease_live(const std::optional<Timestamp>& expire_at, Timestamp now) {
  return !expire_at || *expire_at > now;
}

struct GcOptions {
  // Blob records younger than this are roots, and backend ingests without a record idle for
  // less than this are kept. 0 turns the grace period off.
  std::chrono::nanoseconds grace = std::chrono::hours(1);
  // Blob files deleted per hold of ContentStore::lock_exclusive() (commits wait meanwhile).
  size_t delete_chunk = 1024;
  // Rounds of re-marking from the change journal while writers run, before phase 3 holds them
  // for what is left (a round ends the catch-up early once it saw few changes). 0: re-mark
  // everything changed during the mark under wlock.
  int catch_up_rounds = 8;
  // Test hook: called after phase 1 (the snapshot is marked), before the catch-up and wlock,
  // so tests can change the database "during" the mark (a run that marks under wlock calls it
  // with writers held). Empty in production.
  std::function<void()> after_mark;
  // For a command line (cairn gc): phase "listing" counts blob files found (total unknown),
  // "removing" counts the bytes of unrecorded blob files deleted of those that are candidates.
  // Called on the collecting thread. Empty on a server.
  ProgressFn on_progress;
};

// The figures of one collection.
struct GcStats {
  Timestamp started_at{};                // Database clock time at the start
  std::chrono::nanoseconds duration{};   // wall time of the whole run (steady clock)
  std::chrono::nanoseconds mark_time{};  // wall time of phase 1 (nothing held)
  std::chrono::nanoseconds paused{};     // wall time writers were held (wlock exclusive)
  size_t marked = 0;                     // live blob records, all namespaces
  size_t removed_blobs = 0;              // blob records deleted
  size_t removed_files = 0;              // blob files deleted from the backend
  int64_t removed_bytes = 0;             // their sizes
  size_t removed_ingests = 0;            // ingest records deleted (expired or unleased)
  size_t removed_backend_ingests = 0;    // backend ingests aborted without a record (orphans)
  size_t removed_leases = 0;             // expired leases deleted (with their resource keys)
  bool marked_under_lock = false;        // the journal overflowed: writers held for the run
  bool dry_run = false;                  // Collector::preview(): nothing was removed
  // What retention (retention.h) untagged and deleted before this run's mark, when the
  // scheduler applies a policy (plain counters in retention.removed_tags/removed_manifests).
  RetentionReport retention;

  friend bool operator==(const GcStats&, const GcStats&) = default;
};

class Collector {
 public:
  // `db`, `content` and `backend` (the store under `content`) must outlive the collector. The
  // clock is the database's.
  Collector(metadata::Database& db, metadata::ContentStore& content, content::Store& backend,
            GcOptions options = {});

  const GcOptions& options() const noexcept { return options_; }

  // Runs one collection and returns its figures. Blocks for the whole run (seconds for
  // millions of records: run it off the I/O threads); holds writers only for phase 3 and commits
  // only while a chunk of files is deleted. Errors: io (LevelDB or the backend failed; what was
  // done stays done and is safe), internal (a corrupt record). When writers change more than
  // DatabaseOptions::journal_limit keys while it marks, or outpace the catch-up so that what is
  // left to re-mark exceeds a quarter of the database, the run starts over marking under wlock
  // (GcStats::marked_under_lock), as containerd does: writers wait for that whole run.
  Result<GcStats> collect();

  // What collect() would remove now, removing nothing: phase 1 alone (the blob tree listed, one
  // snapshot marked, holding nothing), its figures as "removed" with GcStats::dry_run set.
  // removed_backend_ingests stays 0 (listing backend ingests cleans stale directories). A real
  // run may remove less (what is written or re-referenced meanwhile is kept). Serialised with
  // collect(); writers never wait for it. Errors: io, internal.
  Result<GcStats> preview();

 private:
  Result<GcStats> collect_locked(bool hold_writers);

  metadata::Database& db_;
  metadata::ContentStore& content_;
  content::Store& backend_;
  GcOptions options_;
  std::mutex run_mutex_;
};

}  // namespace cairn::gc
