// Storage: the storage layer of one data root, opened and wired together once at start-up.
//
//   <root>/
//   ├── content/    the blob tree and ingests (content::LocalStore; layout in local_store.h),
//   │               or, with --blobs, none: blobs in an object store (content::BucketStore,
//   │               bucket_store.h) and only the followers' spool files here
//   ├── spool/      with --blobs: the unnamed files pull-through fills spool to (O_TMPFILE)
//   ├── blobs.location  with --blobs: the bucket's URI (see StorageOptions::blob_location)
//   ├── metadata/   the LevelDB database (metadata::Database; keys.h), none with --metadata
//   └── quarantine/ blobs fsck found corrupt, moved aside (storage/fsck/checker.h); created on
//       └── <alg>/<hex>.<unix nanos>   first use, never read by the server: inspect, then delete
//
// It also holds the free-space floor uploads must leave (free_space.h) and the garbage collector
// over both (storage/gc) and its scheduler. The consistency check over all of it is
// storage/fsck.
//
// This is a composition root, not a service: it owns the stores and hands out references;
// each store keeps its own contract. Handlers reach storage only through these references.
//
// Durability (StorageOptions::sync_metadata, `--durability strict`, the default): a call that
// returns success has made what it did durable, so a handler may acknowledge (201, 202) as
// soon as its last call returns. Per write kind, in order, with what a power cut between two
// steps leaves and who cleans it:
//  - ingest (upload session) created: ingest record batch (fsynced) → ingest directory built
//    under a temporary name and renamed into place (not fsynced). A cut loses at most the
//    directory: the record without a backend ingest reads as an upload at offset 0 (writer()
//    recreates it) or is aborted by GC when it expires. A POST 202 is not a promise of bytes.
//  - bytes written (PATCH): write(2) into ingest/<key>/data, not fsynced; a cut keeps a prefix
//    of them (the file's synced size, or more). The upload's offset is the file's size on
//    reopen, so the client resumes from what is there (GET of the upload says where).
//  - blob commit (PUT ?digest=, POST ?digest=, a cache fill): content::LocalStore commit
//    (local_store.h: fsync(data) makes the bytes durable → rename into blobs/<alg>/ → fsync of
//    blobs/<alg> (DirSync, shared by concurrent commits) makes the name durable) → ONE metadata
//    batch (blob record, lease resource, − ingest record; fsynced). A cut after the rename and
//    before the batch leaves a file without a record: GC sweeps it after the grace period. A
//    blob the store says exists has a durable name (LocalCore::sync_existing), so a mount or an
//    already-exists answer acknowledges nothing that a cut could take back.
//  - manifest PUT: the manifest's bytes as a blob commit (above) → manifest record batch →
//    tag batch, each fsynced. A cut between them leaves a manifest blob without its record (GC
//    sweeps it) or a manifest without the tag (the client was not answered; it pushes again).
//  - tag move, label update, lease create/delete/resource change, blob or manifest DELETE: one
//    metadata batch, fsynced before the call returns.
//  - GC: dead records deleted in one batch (fsynced) → files unlinked (not fsynced). A cut
//    may bring back an unlinked file without a record, which the next collection sweeps; never
//    a record without its file.
// Concurrent batches share one fsync of LevelDB's log (or, in PostgreSQL, one WAL flush), as
// concurrent commits share the fsync of blobs/<alg>.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/bucket.h"
#include "storage/content/local_store.h"
#include "storage/free_space.h"
#include "storage/gc/collector.h"
#include "storage/gc/retention.h"
#include "storage/gc/scheduler.h"
#include "storage/metadata/content_store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/leases.h"
#include "storage/metadata/manifests.h"
#include "storage/metadata/namespaces.h"
#include "storage/metadata/pull_times.h"
#include "storage/metadata/tags.h"
#include "storage/metadata/usage.h"
#include "storage/quota.h"

#include <filesystem>
#include <memory>
#include <optional>

namespace cairn {

struct StorageOptions {
  const Clock* clock = &SystemClock::instance();
  metadata::SharingPolicy sharing = metadata::SharingPolicy::shared;
  // fsync every metadata batch (DatabaseOptions::sync_writes); false is `--durability relaxed`.
  bool sync_metadata = true;
  // Where the metadata lives: empty, LevelDB in <root>/metadata; else a PostgreSQL URI
  // (`--metadata`, metadata/pg_engine.h), the blob tree staying under the root. With PostgreSQL
  // and blob_bucket both, this process is one of any number of replicas sharing them (each with
  // a root of its own); with PostgreSQL alone, the only process using its table.
  std::string metadata_uri;
  // Where the blobs live: null, the filesystem tree under <root>/content (LocalStore); else this
  // object store (`--blobs s3://…`, s3/bucket.h), through a BucketStore. The commit order of
  // that store (bucket_store.h) replaces the blob tree's: an object exists once PutObject or
  // CompleteMultipartUpload answered, and S3 answers only once the object is durable.
  std::shared_ptr<content::Bucket> blob_bucket;
  // With blob_bucket: where it is (the --blobs URI, no credentials), written to
  // <root>/blobs.location. A root that has that file is refused without a bucket: its metadata
  // names blobs that are not in the tree (fsck would call them all missing).
  std::string blob_location;
  // With blob_bucket: blob GETs answer 307 to a presigned URL valid this long (`--s3-redirect`;
  // 0: off, cairn streams the bytes). See Storage::blob_redirect.
  std::chrono::seconds blob_redirect{0};
  // The filesystem seams, for tests (fault injection, power cuts): the content store's file
  // calls (content/fs.h) and LevelDB's environment. nullptr means the real ones; when set they
  // must outlive the Storage.
  content::FileSystem* fs = nullptr;
  leveldb::Env* env = nullptr;
  // The free bytes uploads must leave on the data root's filesystem (--min-free-bytes; 0: none;
  // nullopt: 1 % of the filesystem, at most 1 GiB). See FreeSpace.
  std::optional<uint64_t> min_free_bytes;
  gc::GcOptions gc;
  gc::SchedulerOptions gc_schedule;
  // Retention rules the GC scheduler applies before each collection (gc/retention.h), and
  // byte quotas per repository (quota.h). Empty: none.
  gc::RetentionPolicy retention;
  QuotaPolicy quotas;
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
  // The blob store: the filesystem tree or the object store (StorageOptions::blob_bucket).
  content::Store& blobs() noexcept { return *blobs_; }
  // The filesystem blob tree, or null when the blobs are in an object store (fsck, du's scan
  // of ingest directories and the off-thread hashing need the tree).
  content::LocalStore* local_blobs() noexcept { return local_blobs_; }
  // Where a client may GET committed blob `digest` straight from the object store (a presigned
  // URL, StorageOptions::blob_redirect), or nullopt: serve it. Says nothing of whether the blob
  // exists or is visible to a namespace: check that first. No I/O.
  std::optional<std::string> blob_redirect(const content::Digest& digest) const;
  metadata::Database& db() noexcept { return *db_; }
  metadata::ContentStore& content() noexcept { return *content_; }
  metadata::TagStore& tags() noexcept { return *tags_; }
  metadata::ManifestStore& manifests() noexcept { return *manifests_; }
  metadata::NamespaceStore& namespaces() noexcept { return *namespaces_; }
  metadata::LeaseStore& leases() noexcept { return *leases_; }
  gc::Collector& collector() noexcept { return *collector_; }
  // Bytes referenced per namespace (metadata/usage.h) and the quotas over them (quota.h).
  metadata::Usage& usage() noexcept { return *usage_; }
  const Quotas& quotas() const noexcept { return *quotas_; }
  // When tags were last pulled (metadata/pull_times.h), for retention.
  metadata::PullTimes& pulls() noexcept { return *pulls_; }
  // The retention policy the scheduler applies (gc/retention.h).
  gc::Retention& retention() noexcept { return *retention_; }
  // The free space of the data root and the floor uploads leave (FreeSpace::check).
  FreeSpace& space() noexcept { return *space_; }

  // Whether the storage takes writes: the metadata database accepts them
  // (Database::check_writable) and the free space is above the floor. Blocks on the disk.
  // Errors: no_space, unavailable (the detail says which part refuses).
  Result<void> check_ready();
  // The GC scheduler: created stopped; the server's owner starts it.
  gc::Scheduler& gc() noexcept { return *scheduler_; }

 private:
  Storage() = default;

  std::filesystem::path root_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<content::Store> blobs_;
  content::LocalStore* local_blobs_ = nullptr;        // blobs_, when it is the tree
  std::shared_ptr<content::Bucket> redirect_bucket_;  // blob_bucket, with blob_redirect
  std::chrono::seconds redirect_for_{0};
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<metadata::Usage> usage_;
  std::unique_ptr<metadata::PullTimes> pulls_;
  std::unique_ptr<metadata::ContentStore> content_;
  std::unique_ptr<metadata::TagStore> tags_;
  std::unique_ptr<metadata::ManifestStore> manifests_;
  std::unique_ptr<metadata::NamespaceStore> namespaces_;
  std::unique_ptr<metadata::LeaseStore> leases_;
  std::unique_ptr<gc::Collector> collector_;
  std::unique_ptr<FreeSpace> space_;
  std::unique_ptr<Quotas> quotas_;
  std::unique_ptr<gc::Retention> retention_;
  std::unique_ptr<gc::Scheduler> scheduler_;  // destroyed first: it calls the collector
};

}  // namespace cairn
