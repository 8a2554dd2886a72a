// BucketStore: the content store in an object store (a Bucket, bucket.h: S3 in production,
// `--blobs s3://…`), beside LocalStore's blob tree. It keeps what LocalStore keeps, as objects:
//
//   <prefix>                       (the Bucket's prefix: keys below are relative to it)
//   ├── blobs/<alg>/<hex>          committed content, named by its digest; an object appears
//   │                              whole (PutObject, CompleteMultipartUpload) or not at all
//   └── ingests/<sha256(ref)>/     one in-progress write
//       ├── state                  the ingest record, JSON (below)
//       ├── tail                   the bytes after the uploaded parts (fewer than a part);
//       │                          only its first `tail` bytes (state) count
//       └── data                   the object an upload completes to when the digest was not
//                                  known when the ingest started (then copied to blobs/)
//
// The state record: {"ref", "total", "expected", "started_at", "updated_at" (unix nanos),
// "upload_key", "upload_id", "parts": [{"n", "etag"}], "part_bytes", "hash" (the hash state
// after part_bytes bytes, resumable_hasher.h), "tail"}. Bytes [0, part_bytes) are in the parts
// of the multipart upload upload_id of upload_key (unreadable until it completes), bytes
// [part_bytes, part_bytes + tail) in the tail object. The upload's key is blobs/<alg>/<hex>
// when the expected digest was known at the start (the bytes never move again), else
// ingests/<key>/data.
//
// Writing: bytes collect in memory up to a part (options.part_size); each full part is
// uploaded, then the state is rewritten with its ETag and the hash state at its end. Closing a
// writer without commit writes the tail object and then the state, so any process resumes the
// ingest where it stopped: hashing restarts from the saved state, the tail is read back. Bytes
// still in memory when a process dies are lost; a resumed writer reports the offset that
// survived, as a LocalStore ingest whose unsynced pages were lost would.
//
// Commit is verify (size, then the running digest; another algorithm than the running one
// re-reads the completed data object) → the blob exists already? already_exists, the ingest is
// removed → PutObject of a small blob (never uploaded a part) or the last part and
// CompleteMultipartUpload → (digest unknown at the start) CopyObject ingests/<key>/data to
// blobs/<alg>/<hex> → the ingest's objects removed. The object store makes an object durable
// before it answers, so a commit that returns has made its blob durable. Before completing an
// upload the record is marked `committing` (the upload id stops being usable once completed): a
// crash before that leaves a resumable ingest; after it, a record that no process resumes, which
// the next writer of the ref (or abort, or GC's ingest expiry) removes, the blob being either in
// place or to be pushed again.
//
// A writer opened with keep_pages (a pull-through fill, whose clients follow it) also spools
// what it writes into an unnamed file in options.spool_dir, so its reader() can serve the bytes
// as they arrive (a descriptor, as LocalStore's); without it reader() is failed_precondition.
//
// Labels and created_at are kept in memory (as LocalStore's labels): the metadata store keeps
// its own. info() after a restart reports the object's size with created_at unknown (zero).
//
// One writer per ref per process (RefLocks). Two processes writing one ref is the caller's to
// prevent (the metadata layer's ingest records).
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/bucket.h"
#include "storage/content/store.h"

#include <chrono>
#include <filesystem>
#include <memory>

namespace cairn::content {

struct BucketStoreOptions {
  const Clock* clock = &SystemClock::instance();
  // How long writer() waits for a ref held by another writer before answering unavailable.
  std::chrono::milliseconds writer_lock_wait{200};
  // The size of each uploaded part (at least kMinPartSize). An upload holds at most 10000
  // parts, so blobs up to 10000 × part_size bytes can be written.
  size_t part_size = 8 * 1024 * 1024;
  // Where keep_pages writers spool (an existing directory); empty: they do not.
  std::filesystem::path spool_dir;
  // How many readers may keep a GET open between their reads (a sequential read, a pull, goes
  // on from it: one request for the rest of the blob); the others read each range with a GET of
  // its own. Must stay below the bucket's connections (s3::Bucket: 16): see BucketReader.
  int held_streams = 8;
};

class BucketStore final : public Store {
 public:
  // Opens the store over `bucket`. Errors: invalid_argument (part_size below kMinPartSize,
  // held_streams below 0).
  static Result<std::unique_ptr<BucketStore>> open(std::shared_ptr<Bucket> bucket,
                                                   BucketStoreOptions options = {});
  ~BucketStore() override;

  Result<std::unique_ptr<ReaderAt>> reader(const Digest& digest) override;
  Result<Info> info(const Digest& digest) override;
  Result<Info> update(const Info& info, std::span<const std::string> fieldpaths) override;
  Result<void> walk(const WalkFn& fn, std::span<const std::string> filters) override;
  Result<void> remove(const Digest& digest) override;
  Result<Status> status(std::string_view ref) override;
  Result<std::vector<Status>> list_statuses() override;
  Result<void> abort(std::string_view ref) override;
  Result<std::unique_ptr<Writer>> writer(const WriterOptions& opts) override;

  // The object key of a blob, relative to the bucket's prefix.
  static std::string blob_key(const Digest& digest);

  struct Core;

 private:
  explicit BucketStore(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace cairn::content
