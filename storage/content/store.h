// The content store interfaces (containerd's core/content, reshaped for C++).
//
// Content is addressed by digest. Bytes enter through a Writer opened on a ref (an ingest, the
// name of an in-progress upload); a Writer hashes as it appends and commits the bytes under
// their digest once size and digest are verified. Committed content is read through a ReaderAt.
//
// Three implementations share this interface and one typed test suite:
//  - content::LocalStore (local_store.h): the blob tree and ingest directories on disk;
//  - content::BucketStore (bucket_store.h): the same in an object store (S3, `--blobs`);
//  - metadata::ContentStore viewed through one namespace (metadata/content_store.h): the same
//    bytes, visible per repository, with labels and leases recorded in LevelDB.
//
// Thread-safety: every Store method may be called from any thread concurrently. A Writer or
// ReaderAt object is used by one thread at a time.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/digest.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::content {

using Labels = std::map<std::string, std::string, std::less<>>;

// The largest key plus value a single label may have, in bytes (containerd's bound).
inline constexpr size_t kMaxLabelSize = 4096;
// The most bytes (keys plus values) all labels of one object may have together.
inline constexpr size_t kMaxLabelsSize = 64 * 1024;

// What is known of a committed blob.
struct Info {
  Digest digest;
  int64_t size = 0;
  Timestamp created_at{};
  Timestamp updated_at{};
  Labels labels;
};

// What is known of an ingest (an in-progress write).
struct Status {
  std::string ref;
  int64_t offset = 0;              // bytes written so far
  int64_t total = 0;               // expected total size, 0 when unknown
  std::optional<Digest> expected;  // expected digest, when the writer was told one
  Timestamp started_at{};
  Timestamp updated_at{};
};

// Random access to committed content.
class ReaderAt {
 public:
  virtual ~ReaderAt() = default;
  // Reads up to buf.size() bytes at `offset`; returns the count read (0 at or past the end).
  // Errors: range_invalid (offset < 0), io.
  virtual Result<size_t> read_at(std::span<std::byte> buf, int64_t offset) = 0;
  // The content's size in bytes.
  virtual int64_t size() const = 0;
  // The open file descriptor behind the reader (for sendfile), or -1 when there is none.
  virtual int native_handle() const = 0;
};

// An open ingest. Only one Writer per ref exists at a time in a process. Destroying a Writer
// without commit closes it: the ingest stays on disk and can be resumed by opening the ref again.
class Writer {
 public:
  virtual ~Writer() = default;
  // Appends `data` at the current offset and feeds it to the running digest.
  // Errors: io (the offset is unchanged only if nothing was written), failed_precondition
  // (already committed).
  virtual Result<void> write(std::span<const std::byte> data) = 0;
  Result<void> write(std::string_view data) {
    return write(std::as_bytes(std::span<const char>(data.data(), data.size())));
  }
  // The digest of the bytes written so far.
  virtual Digest digest() const = 0;
  // A reader of the ingest's data with a descriptor of its own, so that others can follow the
  // writer (the pull-through cache streams a blob to its clients as it arrives). It stays valid
  // after the writer commits (it then reads the committed blob) or closes. Its size() is the
  // offset when it was opened; its native_handle() reads whatever has been written since, for
  // callers told how far the writer got. A store may serve this only to writers opened with
  // keep_pages (BucketStore: its bytes are otherwise in unreadable multipart parts).
  // Errors: failed_precondition (committed, or no keep_pages where the store needs it), io.
  virtual Result<std::unique_ptr<ReaderAt>> reader() const = 0;
  // The ingest's status.
  virtual Result<Status> status() const = 0;
  // Makes the bytes written so far survive this process and reach the next writer of the ref
  // in any process (another replica over the same store). A LocalStore writer's bytes are in the
  // ingest file already: nothing to do. A BucketStore writer stores what it holds in memory.
  // Errors: io, unavailable (the store did not take it: the bytes stay held here).
  virtual Result<void> sync() { return {}; }
  // Cuts the ingest to `size` bytes (only 0 is guaranteed; a smaller size re-hashes the prefix).
  // Errors: range_invalid (size < 0 or beyond the offset), io.
  virtual Result<void> truncate(int64_t size) = 0;
  // Verifies the bytes written (size when > 0, digest when given), makes them durable and
  // visible under their digest, and removes the ingest. `labels` are set on the new content.
  // Errors: size_mismatch, digest_mismatch (nothing becomes visible; the ingest is kept so the
  // client may fix it or abort), already_exists (the content was already committed: the ingest
  // is removed and one copy remains), io.
  virtual Result<void> commit(int64_t size, const std::optional<Digest>& expected,
                              const Labels& labels = {}) = 0;
};

struct WriterOptions {
  std::string ref;                 // the ingest's name; see LocalStore for its grammar
  int64_t total = 0;               // expected size, 0 when unknown
  std::optional<Digest> expected;  // expected digest, when known
  // Keep written pages in the page cache while the writer lives (the store may drop the pages of
  // older writes to keep long writes fast; these join that budget when the writer commits or
  // closes): set when readers follow the writer, as the pull-through cache's clients do.
  bool keep_pages = false;
  // How long to wait for another writer of the same ref to let go before failing with
  // `unavailable`; unset: the store's default (LocalStoreOptions::writer_lock_wait). A writer
  // whose ref names its content (a manifest's bytes) waits longer: the holder writes the same
  // bytes, so once it has committed this writer finds them there.
  std::optional<std::chrono::milliseconds> lock_wait = std::nullopt;
};

// Called for each blob a walk visits; return false to stop the walk.
using WalkFn = std::function<bool(const Info&)>;

class Store {
 public:
  virtual ~Store() = default;

  // --- Provider ---
  // Opens committed content. Errors: not_found, io.
  virtual Result<std::unique_ptr<ReaderAt>> reader(const Digest& digest) = 0;

  // --- Manager ---
  // Errors: not_found.
  virtual Result<Info> info(const Digest& digest) = 0;
  // Updates mutable fields of info.digest and returns the new Info. `fieldpaths` names what
  // changes: "labels" (replace all) or "labels.<key>" (set or, when absent from info.labels,
  // remove one key); empty means "labels". Anything else, and labels over kMaxLabelSize, is
  // invalid_argument. size and created_at never change; updated_at is set to now.
  // Errors: not_found, invalid_argument.
  virtual Result<Info> update(const Info& info, std::span<const std::string> fieldpaths) = 0;
  // Visits committed content matching any of `filters` (all content when empty), in digest
  // order. Filter grammar: filter.h. Errors: invalid_argument (a bad filter), io.
  virtual Result<void> walk(const WalkFn& fn, std::span<const std::string> filters) = 0;
  // Removes content. Errors: not_found, io.
  virtual Result<void> remove(const Digest& digest) = 0;

  // --- IngestManager ---
  // Errors: not_found, invalid_argument (bad ref).
  virtual Result<Status> status(std::string_view ref) = 0;
  // Every ingest, in ref order.
  virtual Result<std::vector<Status>> list_statuses() = 0;
  // Removes an ingest and its bytes. Errors: not_found, unavailable (a writer holds it).
  virtual Result<void> abort(std::string_view ref) = 0;

  // --- Ingester ---
  // Opens (or resumes) the ingest `opts.ref`. Errors: invalid_argument (bad ref or a total that
  // contradicts the ingest's), unavailable (another writer holds the ref, after a short bounded
  // wait), already_exists (opts.expected is already committed), io.
  virtual Result<std::unique_ptr<Writer>> writer(const WriterOptions& opts) = 0;
};

}  // namespace cairn::content
