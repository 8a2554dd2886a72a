// LocalCore: the state a LocalStore shares with the Writers it opens, and the ingest records.
//
// Private to the local store (local_store.cpp, local_writer.cpp). It builds every path under
// the content root from the layout drawn in local_store.h, and reads and writes the ingest
// record files. Writers keep the core alive through a shared_ptr, so a Writer may outlive its
// LocalStore object.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/digest.h"
#include "storage/content/dir_sync.h"
#include "storage/content/fs.h"
#include "storage/content/local_store.h"
#include "storage/content/ref_locks.h"
#include "storage/content/shared_job.h"
#include "storage/content/store.h"
#include "storage/content/written_pages.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::content {

// What an ingest directory holds, as far as it can be read.
struct IngestRecord {
  enum class State {
    ok,       // complete: `ref` names this directory and `data` exists
    stale,    // `data` is gone: a commit renamed it and crashed before removing the directory
    corrupt,  // `ref` is missing, empty or names another ref (a crash while creating it)
  };
  State state = State::ok;
  Status status;
};

struct LocalCore {
  LocalCore(std::filesystem::path root, LocalStoreOptions options);

  // --- paths (the layout in local_store.h) ---
  std::filesystem::path blob_dir(Algorithm alg) const;
  std::filesystem::path blob_path(const Digest& digest) const;
  // The group-committed fsync of blob_dir(alg) (dir_sync.h): a commit's rename is durable once
  // it returns from sync(changed()).
  DirSync& blob_dir_sync(Algorithm alg) noexcept {
    return alg == Algorithm::sha512 ? sha512_sync : sha256_sync;
  }
  // Makes the directory entry of a blob that exists durable, should its rename (by a commit
  // still in flight, or by a process that died before its fsync) not be yet, so whoever hears
  // "it exists" may acknowledge on the strength of it. Errors: io.
  Result<void> sync_existing(const Digest& digest);
  // The ingest's key: the sha256 hex of `ref`. It names the ingest directory and is what
  // ref_locks is keyed by, so even an ingest whose `ref` file is lost can be locked.
  static std::string ingest_key(std::string_view ref);
  // ingest/<ingest_key(ref)>; `ref` must have passed validate_ref.
  std::filesystem::path ingest_path(std::string_view ref) const;
  static std::filesystem::path ingest_file(const std::filesystem::path& dir, std::string_view name);

  // --- ingest records ---
  // Reads the ingest directory `dir`. `ref` (when known) is what the directory must name.
  // Errors: not_found (no directory), io.
  Result<IngestRecord> read_ingest(const std::filesystem::path& dir,
                                   std::optional<std::string_view> ref) const;
  // Creates the ingest for `ref` (no directory may exist there): builds it under a temporary
  // name and renames it into place. Errors: io.
  Result<void> create_ingest(std::string_view ref, Timestamp now, int64_t total,
                             const std::optional<Digest>& expected) const;
  // Removes an ingest directory and everything in it. Errors: io.
  Result<void> remove_ingest(const std::filesystem::path& dir) const;
  // After a commit moved `data` out: keeps the directory (with its record files) as a spare
  // that create_ingest() reuses, or removes it when kMaxSpareIngests are kept already. Why:
  // freeing inodes is costly to later creations on some filesystems (ext4 without a journal
  // skips recently freed inodes one by one), and a small push would otherwise free four.
  void recycle_ingest(const std::filesystem::path& dir) const;
  // Removes the stale or corrupt ingest `dir` when nobody holds its key; returns whether it
  // was removed. Does nothing to a complete ingest.
  bool clean_if_unheld(const std::filesystem::path& dir);

  // --- labels (in memory, see local_store.h) ---
  struct LabelEntry {
    Labels labels;
    Timestamp updated_at{};
  };
  void set_labels(const Digest& digest, Labels labels, Timestamp now);

  void fault(std::string_view stage) const {
    if (options.fault_hook)
      options.fault_hook(stage);
  }

  const std::filesystem::path root;
  const std::filesystem::path blobs_root;
  const std::filesystem::path ingest_root;
  const LocalStoreOptions options;
  const Clock& clock;
  FileSystem& fs;       // options.fs, or the real system calls
  DirSync sha256_sync;  // after fs: they sync through it
  DirSync sha512_sync;
  RefLocks ref_locks;  // keyed by ingest_key(ref)

  // Spare ingest directories (recycle_ingest), named kIngestTempPrefix + "spare-<n>" so every
  // scan skips them and open() removes them like any half-built ingest.
  static constexpr size_t kMaxSpareIngests = 64;
  mutable std::mutex spares_mu;
  mutable std::vector<std::filesystem::path> spares;  // guarded by spares_mu
  mutable uint64_t spare_seq = 0;                     // guarded by spares_mu

  std::mutex labels_mu;
  std::map<Digest, LabelEntry> labels;  // guarded by labels_mu

  WrittenPages written_pages;  // options.keep_written_bytes

  // LocalStore::set_off_thread's runner (shared so that a writer uses one copy per piece).
  std::shared_ptr<const OffThread> off_thread() const;
  void set_off_thread(OffThread run);

 private:
  mutable std::mutex off_thread_mu_;
  std::shared_ptr<const OffThread> off_thread_;  // guarded by off_thread_mu_; null: none
};

// File names inside an ingest directory.
inline constexpr std::string_view kRefFile = "ref";
inline constexpr std::string_view kDataFile = "data";
inline constexpr std::string_view kStartedAtFile = "startedat";
inline constexpr std::string_view kUpdatedAtFile = "updatedat";
inline constexpr std::string_view kTotalFile = "total";
inline constexpr std::string_view kExpectedFile = "expected";
// Prefix of ingest directories still being built.
inline constexpr std::string_view kIngestTempPrefix = ".tmp-";

}  // namespace cairn::content
