#include "storage/storage.h"

namespace cairn {

Result<std::unique_ptr<Storage>> Storage::open(const std::filesystem::path& root,
                                               StorageOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec)
    return fail(Errc::io, "create data root: " + ec.message());
  std::unique_ptr<Storage> s(new Storage());
  s->root_ = root;
  s->clock_ = options.clock;

  content::LocalStoreOptions content_options;
  content_options.clock = options.clock;
  auto blobs = content::LocalStore::open(root / "content", content_options);
  if (!blobs)
    return blobs.error();
  s->blobs_ = std::move(*blobs);

  metadata::DatabaseOptions db_options;
  db_options.clock = options.clock;
  db_options.sync_writes = options.sync_metadata;
  auto db = metadata::Database::open(root / "metadata", db_options);
  if (!db)
    return db.error();
  s->db_ = std::move(*db);

  metadata::ContentStoreOptions cs_options;
  cs_options.policy = options.sharing;
  s->content_ = std::make_unique<metadata::ContentStore>(*s->db_, *s->blobs_, cs_options);
  s->tags_ = std::make_unique<metadata::TagStore>(*s->db_);
  s->manifests_ = std::make_unique<metadata::ManifestStore>(*s->db_);
  s->namespaces_ = std::make_unique<metadata::NamespaceStore>(*s->db_);
  s->leases_ = std::make_unique<metadata::LeaseStore>(*s->db_);
  s->collector_ = std::make_unique<gc::Collector>(*s->db_, *s->content_, *s->blobs_, options.gc);
  s->space_ = std::make_unique<FreeSpace>(root, options.min_free_bytes);
  s->scheduler_ = std::make_unique<gc::Scheduler>(*s->collector_, *s->db_, options.gc_schedule);
  return s;
}

Result<void> Storage::check_ready() {
  if (auto r = db_->check_writable(); !r)
    return r;
  return space_->check(0);
}

}  // namespace cairn
