// LocalStore: the blob tree and the ingest directories on one filesystem (containerd's
// content/local). This file and local_store.cpp own every path under the content root.
//
// Layout under <root> (the store's root, e.g. <data root>/content):
//
//   <root>/
//   ├── blobs/
//   │   ├── sha256/<64 hex>        committed content, read-only (0444), named by its digest
//   │   └── sha512/<128 hex>
//   └── ingest/
//       └── <sha256(ref) hex>/     one directory per in-progress write
//           ├── ref                the ref, verbatim (names the directory's owner)
//           ├── data               the bytes written so far
//           ├── startedat          unix nanoseconds, decimal
//           ├── updatedat          unix nanoseconds, decimal (rewritten lazily, see below)
//           ├── total              expected total size, decimal (absent when unknown)
//           └── expected           expected digest text (absent when unknown)
//   ingest/.tmp-<sha256(ref) hex>/ an ingest being created; renamed into place when complete,
//                                  so ingest/<hex>/ always holds `ref` and `data` when it appears
//
// A ref never reaches a path: the ingest directory is named by the hash of the ref, and refs
// are validated first (see validate_ref). Digests reach a path only after Digest::parse, whose
// hex part is a plain file name.
//
// Commit is verify → fchmod 0444 + set mtime → fsync(data) → rename(data, blobs/<alg>/<hex>)
// (never replacing an existing file) → fsync(blobs/<alg>) → remove the ingest directory. The
// fsync of data makes the bytes durable, the fsync of blobs/<alg> the name; concurrent commits
// share the latter (DirSync, dir_sync.h), and a blob reported to exist (info, exists, a
// writer's or commit's already_exists) has had its name made durable first. A crash
// before the rename leaves a resumable ingest; after it, a committed blob plus an ingest
// directory without `data`, which is stale: writer(), status(), list_statuses() and abort()
// remove it when they meet it. Nothing half-written is ever under blobs/.
//
// Writing at speed: a piece of 128 KiB or more is hashed on another thread while write(2) puts it
// in the file, when the store's owner offers one (set_off_thread; SharedJob makes sure nobody
// waits on a thread that never came); writeback is started every writeback_interval bytes so the
// commit's fsync has little left; and of what all writers wrote, the newest keep_written_bytes
// stay in the page cache for pulls right after the push while older pages are dropped
// (WrittenPages).
//
// A blob's created_at is its file's mtime, set from the store's Clock at commit. The ingest
// record files (ref, startedat, ...) are not fsynced: after a crash a record that is empty or
// names another ref marks the ingest as corrupt, and the next writer() on the ref starts over.
// `updatedat` is rewritten at most once a second of Clock time while writing, and on truncate
// and close; a live writer publishes its exact offset and updated time to status().
//
// Labels: the local store keeps them in memory only (they are lost on restart); the metadata
// store records its own labels in LevelDB and never relies on these.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/fs.h"
#include "storage/content/shared_job.h"
#include "storage/content/store.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::content {

// The longest ref accepted, in bytes.
inline constexpr size_t kMaxRefSize = 1024;

// Checks a ref: 1..kMaxRefSize bytes of printable ASCII without spaces, not starting with '/',
// with no "." or ".." path component and no NUL or control byte. Errors: invalid_argument.
Result<void> validate_ref(std::string_view ref);

// Checks what a writer reopening an ingest asks against what the ingest recorded (`total`,
// `expected`): a total or digest that contradicts a recorded one is invalid_argument; one the
// ingest lacks is for the caller to record. Shared by every store's writer().
Result<void> check_reopen(const WriterOptions& opts, int64_t total,
                          const std::optional<Digest>& expected);

struct LocalStoreOptions {
  const Clock* clock = &SystemClock::instance();
  // How long writer() waits for a ref held by another writer before answering unavailable.
  std::chrono::milliseconds writer_lock_wait{200};
  // Writers start writeback every this many bytes (sync_file_range) so the commit's fsync has
  // little left to do. 0 disables it.
  int64_t writeback_interval = 8 << 20;
  // How much of what all writers wrote last stays in the page cache (WrittenPages,
  // written_pages.h): writers hand over each range as its writeback starts (every
  // writeback_interval bytes, and the rest when they commit or close), and beyond this budget
  // the oldest ranges of the store are dropped once written back. Kept, a blob pulled right
  // after its push is read from memory; dropped, sustained pushes do not pay for the reclaim of
  // what they wrote (bench/README.md: 1 GiB pushes in a row at 849 MB/s and 1.4 CPU-s/GiB
  // dropping, 206 MB/s and 5.2 CPU-s/GiB keeping everything). 0: each range is dropped as it is
  // handed over; nullopt: an eighth of the memory, at most 1 GiB.
  std::optional<int64_t> keep_written_bytes;
  // The filesystem calls the store makes (fs.h); nullptr means the real system calls. Tests
  // pass a fault-injecting one. Must outlive the store and every Writer and ReaderAt it opened.
  FileSystem* fs = nullptr;
  // Test hook: called at each commit stage ("verified", "synced", "renamed", "dir_synced",
  // "done") so crash tests can kill the process there. Empty in production.
  std::function<void(std::string_view stage)> fault_hook;
};

class LocalStore final : public Store {
 public:
  // Opens (creating if needed) the store under `root`. Errors: io.
  static Result<std::unique_ptr<LocalStore>> open(const std::filesystem::path& root,
                                                  LocalStoreOptions options = {});
  ~LocalStore() override;

  Result<std::unique_ptr<ReaderAt>> reader(const Digest& digest) override;
  Result<Info> info(const Digest& digest) override;
  Result<Info> update(const Info& info, std::span<const std::string> fieldpaths) override;
  Result<void> walk(const WalkFn& fn, std::span<const std::string> filters) override;
  Result<void> remove(const Digest& digest) override;
  Result<Status> status(std::string_view ref) override;
  Result<std::vector<Status>> list_statuses() override;
  Result<void> abort(std::string_view ref) override;
  Result<std::unique_ptr<Writer>> writer(const WriterOptions& opts) override;

  // Whether content exists, without building an Info. Blocks on a stat(2).
  bool exists(const Digest& digest);

  // Lets writers hash a large piece on another thread while they write it (SharedJob): the
  // owner of a thread pool passes how to run a job there; nullptr (the default) hashes on the
  // writing thread. Thread-safe; takes effect for the next piece. `run` must stay callable until
  // writes in progress when it is replaced have returned (the service's writes run on the very
  // pool it offers, which ends after them).
  void set_off_thread(OffThread run);

  // --- for fsck (storage/fsck) ---

  // An ingest directory as it lies on disk, complete or not.
  struct IngestDir {
    enum class State { ok, stale, corrupt };  // as IngestRecord::State (local_core.h)
    std::string key;                          // the directory's name (sha256 of the ref)
    State state = State::ok;
    Status status;  // ref, offset and times when ok; the ref as far as it could be read else
  };
  // Every ingest directory (not those still being created), in key order, without the
  // cleaning list_statuses() does on the way. Blocks on a directory scan. Errors: io.
  Result<std::vector<IngestDir>> scan_ingests();
  // Removes the stale or corrupt ingest directory `key` unless a writer holds it; returns
  // whether it was removed (false too for a complete ingest, which abort() removes).
  Result<bool> remove_broken_ingest(std::string_view key);
  // Moves the blob file of `digest` to `dest` (same filesystem; its directory must exist, and
  // `dest` must not), then fsyncs dest's directory and then the blob directory: once it
  // returns, the move is durable and the digest is no longer content here. The caller keeps
  // commits of the digest out meanwhile (ContentStore::lock_exclusive). Errors: not_found,
  // already_exists (dest exists), io (the file may then be in either place).
  Result<void> move_out(const Digest& digest, const std::filesystem::path& dest);

  struct Impl;

 private:
  explicit LocalStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::content
