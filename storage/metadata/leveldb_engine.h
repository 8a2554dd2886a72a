// LevelDbEngine: the embedded metadata engine — one LevelDB in a directory of the data root.
//
// - write() is one leveldb::WriteBatch; with `sync` LevelDB fsyncs its log before returning
//   (WriteOptions::sync), and concurrent writers share that fsync: LevelDB's writer queue folds
//   the batches waiting behind the one syncing into its next write (group commit).
// - Every file LevelDB writes fails for good after its first failed write (sticky_env.h), and
//   such a failure, even of a background compaction, is reported through on_failure() at once.
// - reopen() closes LevelDB and opens it again, which recovers every acknowledged write from the
//   log and starts a new one. LevelDB's directory lock allows one open handle, so it waits for
//   the cursors still reading the old one; reads meanwhile answer unavailable, briefly.
#pragma once

#include "storage/metadata/engine.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>

namespace leveldb {
class DB;
class Env;
}  // namespace leveldb

namespace cairn::metadata {

struct LevelDbOptions {
  // The environment LevelDB does its file operations through; nullptr means
  // leveldb::Env::Default(). Tests pass a fault-injecting wrapper. Must outlive the engine.
  leveldb::Env* env = nullptr;
  // LevelDB block cache size in bytes (0: LevelDB's default of 8 MiB).
  size_t block_cache_bytes = 0;
};

class LevelDbEngine final : public Engine {
 public:
  // Opens (creating if missing) the LevelDB in directory `path`. Errors: io (e.g. it is locked by
  // another process).
  static Result<std::unique_ptr<LevelDbEngine>> open(const std::filesystem::path& path,
                                                     LevelDbOptions options = {});
  ~LevelDbEngine() override;

  Result<std::optional<std::string>> get(std::string_view key) const override;
  std::unique_ptr<Cursor> cursor() const override;
  Result<void> write(const Batch& batch, bool sync) override;
  Result<void> probe() override;
  Result<void> reopen(std::chrono::milliseconds drain) override;
  void on_failure(FailureFn fn) override;

  // The LevelDB handle, for tools. Writes through it bypass the Database's rules; it is
  // invalidated by a reopen.
  leveldb::DB& leveldb() noexcept;

 private:
  struct Private;
  struct Handle;
  LevelDbEngine(std::unique_ptr<Private> priv, std::shared_ptr<Handle> handle);
  std::shared_ptr<Handle> handle() const;
  // Whether the filesystem has room for a reopen (recovery writes the log out).
  bool room_to_reopen() const;

  std::unique_ptr<Private> priv_;  // LevelDB options and objects every handle must outlive
  // The open LevelDB. Readers copy the pointer under handle_mutex_ shared; reopen() swaps it
  // under handle_mutex_ exclusive once it is the only owner.
  mutable std::shared_mutex handle_mutex_;
  std::shared_ptr<Handle> handle_;
};

}  // namespace cairn::metadata
