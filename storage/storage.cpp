#include "storage/storage.h"

#include "storage/content/bucket_store.h"
#include "storage/content/file_util.h"
#include "storage/metadata/pg_engine.h"

namespace cairn {

Result<std::unique_ptr<Storage>> Storage::open(const std::filesystem::path& root,
                                               StorageOptions options) {
  content::FileSystem& fs = options.fs != nullptr ? *options.fs : content::posix_file_system();
  // Each directory created is fsynced into its parent (the data root on first use).
  if (auto r = content::file_util::create_directories(fs, root); !r)
    return fail(r.error().code, "create data root: " + r.error().detail);
  std::unique_ptr<Storage> s(new Storage());
  s->root_ = root;
  s->clock_ = options.clock;

  const auto marker = root / "blobs.location";
  if (options.blob_bucket) {
    if (auto r =
            content::file_util::write_file_atomic(fs, marker, options.blob_location + "\n", true);
        !r)
      return r.error();
    content::BucketStoreOptions bucket_options;
    bucket_options.clock = options.clock;
    bucket_options.spool_dir = root / "spool";
    if (auto r = content::file_util::create_directories(fs, bucket_options.spool_dir); !r)
      return r.error();
    auto blobs = content::BucketStore::open(options.blob_bucket, bucket_options);
    if (!blobs)
      return blobs.error();
    s->blobs_ = std::move(*blobs);
    if (options.blob_redirect.count() > 0) {
      s->redirect_bucket_ = options.blob_bucket;
      s->redirect_for_ = options.blob_redirect;
    }
  } else {
    std::error_code ec;
    if (std::filesystem::exists(marker, ec)) {
      auto where = content::file_util::read_small_file(fs, marker, 4096);
      return fail(Errc::failed_precondition,
                  "the blobs of " + root.string() + " are in an object store (" +
                      (where ? std::string(where->substr(0, where->find('\n'))) : "?") +
                      "): pass --blobs");
    }
    content::LocalStoreOptions content_options;
    content_options.clock = options.clock;
    content_options.fs = options.fs;
    auto blobs = content::LocalStore::open(root / "content", content_options);
    if (!blobs)
      return blobs.error();
    s->local_blobs_ = blobs->get();
    s->blobs_ = std::move(*blobs);
  }

  metadata::DatabaseOptions db_options;
  db_options.clock = options.clock;
  db_options.sync_writes = options.sync_metadata;
  db_options.env = options.env;
  Result<std::unique_ptr<metadata::Database>> db = fail(Errc::internal);
  if (options.metadata_uri.empty()) {
    db = metadata::Database::open(root / "metadata", db_options);
  } else {
    // Blobs in a bucket too: nothing of this process's own is needed to serve, so it is one of
    // any number of replicas sharing the table (pg_engine.h). Blobs in the tree: the only one.
    metadata::PgOptions pg;
    pg.exclusive = options.blob_bucket == nullptr;
    auto engine = metadata::PgEngine::open(options.metadata_uri, pg);
    if (!engine)
      return engine.error();
    db = metadata::Database::open(std::move(*engine), db_options);
  }
  if (!db)
    return db.error();
  s->db_ = std::move(*db);
  // content/ and metadata/ are entries of the root: durable before anything in them is.
  if (auto r = content::file_util::sync_dir(fs, root); !r)
    return r.error();

  s->usage_ = std::make_unique<metadata::Usage>(*s->db_);
  s->pulls_ = std::make_unique<metadata::PullTimes>(*s->db_);
  metadata::ContentStoreOptions cs_options;
  cs_options.policy = options.sharing;
  cs_options.usage = s->usage_.get();
  s->content_ = std::make_unique<metadata::ContentStore>(*s->db_, *s->blobs_, cs_options);
  s->tags_ = std::make_unique<metadata::TagStore>(*s->db_);
  s->manifests_ = std::make_unique<metadata::ManifestStore>(*s->db_, s->usage_.get());
  s->namespaces_ = std::make_unique<metadata::NamespaceStore>(*s->db_);
  s->leases_ = std::make_unique<metadata::LeaseStore>(*s->db_);
  s->collector_ = std::make_unique<gc::Collector>(*s->db_, *s->content_, *s->blobs_, options.gc);
  s->space_ = std::make_unique<FreeSpace>(root, options.min_free_bytes);
  s->quotas_ = std::make_unique<Quotas>(std::move(options.quotas), *s->usage_);
  s->retention_ = std::make_unique<gc::Retention>(std::move(options.retention), *s->db_,
                                                  *s->namespaces_, *s->manifests_, *s->pulls_);
  s->scheduler_ = std::make_unique<gc::Scheduler>(*s->collector_, *s->db_, options.gc_schedule);
  s->scheduler_->set_retention(s->retention_.get());
  return s;
}

Result<void> Storage::check_ready() {
  if (auto r = db_->check_writable(); !r)
    return r;
  return space_->check_now();
}

std::optional<std::string> Storage::blob_redirect(const content::Digest& digest) const {
  if (!redirect_bucket_)
    return std::nullopt;
  return redirect_bucket_->presign_get(content::BucketStore::blob_key(digest), redirect_for_);
}

}  // namespace cairn
