// Storage: the storage layer of one data root, opened and wired together once at start-up.
//
//   <root>/
//   ├── content/    the blob tree and ingests (content::LocalStore; layout in local_store.h)
//   ├── metadata/   the LevelDB database (metadata::Database; schema in metadata/keys.h)
//   └── quarantine/ blobs fsck found corrupt, moved aside (storage/fsck/checker.h); created on
//       └── <alg>/<hex>.<unix nanos>   first use, never read by the server: inspect, then delete
//
// It also holds the garbage collector over both (storage/gc) and its scheduler. The consistency
// check over all of it is storage/fsck.
//
// This is a composition root, not a service: it owns the stores and hands out references;
// each store keeps its own contract. Handlers reach storage only through these references.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/local_store.h"
#include "storage/gc/collector.h"
#include "storage/gc/scheduler.h"
#include "storage/metadata/content_store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/leases.h"
#include "storage/metadata/manifests.h"
#include "storage/metadata/namespaces.h"
#include "storage/metadata/tags.h"

#include <filesystem>
#include <memory>

namespace cairn {

struct StorageOptions {
  const Clock* clock = &SystemClock::instance();
  metadata::SharingPolicy sharing = metadata::SharingPolicy::shared;
  bool sync_metadata = false;  // fsync every metadata batch (see DatabaseOptions::sync_writes)
  gc::GcOptions gc;
  gc::SchedulerOptions gc_schedule;
};

class Storage {
 public:
  // Opens (creating if needed) the stores under `root`. Errors: io, failed_precondition (a
  // database of a newer schema), internal.
  static Result<std::unique_ptr<Storage>> open(const std::filesystem::path& root,
                                               StorageOptions options = {});

  const std::filesystem::path& root() const noexcept { return root_; }
  // Where fsck moves corrupt blobs (the layout above).
  std::filesystem::path quarantine_dir() const { return root_ / "quarantine"; }
  const Clock& clock() const noexcept { return *clock_; }
  content::LocalStore& blobs() noexcept { return *blobs_; }
  metadata::Database& db() noexcept { return *db_; }
  metadata::ContentStore& content() noexcept { return *content_; }
  metadata::TagStore& tags() noexcept { return *tags_; }
  metadata::ManifestStore& manifests() noexcept { return *manifests_; }
  metadata::NamespaceStore& namespaces() noexcept { return *namespaces_; }
  metadata::LeaseStore& leases() noexcept { return *leases_; }
  gc::Collector& collector() noexcept { return *collector_; }
  // The GC scheduler: created stopped; the server's owner starts it.
  gc::Scheduler& gc() noexcept { return *scheduler_; }

 private:
  Storage() = default;

  std::filesystem::path root_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<content::LocalStore> blobs_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<metadata::ContentStore> content_;
  std::unique_ptr<metadata::TagStore> tags_;
  std::unique_ptr<metadata::ManifestStore> manifests_;
  std::unique_ptr<metadata::NamespaceStore> namespaces_;
  std::unique_ptr<metadata::LeaseStore> leases_;
  std::unique_ptr<gc::Collector> collector_;
  std::unique_ptr<gc::Scheduler> scheduler_;  // destroyed first: it calls the collector
};

}  // namespace cairn
