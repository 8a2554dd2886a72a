// Database: the metadata database (containerd's metadata.DB) over one ordered key/value Engine
// (engine.h): LevelDB in the data root by default (leveldb_engine.h).
//
// It owns the engine, the schema version, and the rules every writer follows:
//  - every change, however many keys it touches, is one atomic Batch of the engine (an Update);
//  - writers hold `wlock` shared; GC takes it exclusive between mark and sweep, so no metadata
//    changes while it decides what is garbage. Readers never take it;
//  - a read-modify-write locks the keys it reads through striped mutexes, so writers to
//    different keys run in parallel and share LevelDB's group commit rather than queueing on
//    one mutex (LevelDB's group commit);
//  - after each committed Update, mutation callbacks run with the dirty flag: true once any
//    change since the last GC removed a reference (a delete), as containerd's
//    mutationCallbacks do, so a GC scheduler can decide when to collect;
//  - while GC marks a snapshot, a change journal lists the keys each committed Update touched,
//    so GC re-marks only those under wlock (storage/gc/collector.h);
//  - on an engine several processes share (Engine::shared(): replicas over PostgreSQL), each of
//    these rules holds across them: an Update runs in an engine Transaction holding the GC lock
//    shared and its keys' locks in every process; lock_exclusive() also takes the GC lock in
//    the engine (FleetLock); the journal adds the keys every process wrote since it started
//    (Engine::changed_since); and dirty() is always true, since a reference another process
//    removed is not seen here;
//  - a failed write is never followed by an acknowledged one on the same engine handle: after
//    any failed write (a client's, or one the engine found on its own, such as a background
//    compaction's) the database refuses writes (no_space while its filesystem is full, else
//    unavailable) until the engine has reopened (Engine::reopen: LevelDB recovers every
//    acknowledged write from the log and starts a new one). The reopen is tried by the next
//    write or check_writable() once there is room for it, at most once per
//    DatabaseOptions::reopen_interval after a failed attempt. Readers keep using the old handle
//    until the reopen swaps it (an open cursor keeps it alive; the reopen waits for it).
//
// The per-namespace stores (namespaces.h, tags.h, manifests.h, leases.h, content_store.h) are
// small classes over a Database; keys are built only by keys.h.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/metadata/engine.h"
#include "storage/metadata/fleet_lock.h"
#include "storage/metadata/migrations.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace leveldb {
class Env;
}  // namespace leveldb

namespace cairn::metadata {

// The schema version this build writes (keys.h draws it).
inline constexpr int kSchemaVersion = 1;

struct DatabaseOptions {
  const Clock* clock = &SystemClock::instance();
  // Write every batch durably (Engine::write with sync; LevelDB fsyncs its log): commit()
  // returns only once the batch is on stable storage, so an acknowledged change survives a power
  // cut. Concurrent Updates share one fsync (LevelDB's writer queue folds the batches of writers
  // waiting behind the one syncing into its next write: group commit). Off (`--durability
  // relaxed`), a crash of the machine (not the process) may lose the last writes; a crash of the
  // process never does.
  bool sync_writes = true;
  // For open(path), which makes the LevelDB engine (LevelDbOptions): the environment LevelDB does
  // its file operations through (nullptr: leveldb::Env::Default(); tests pass a fault-injecting
  // wrapper, tests/support/power_cut.h; must outlive the Database), and its block cache size in
  // bytes (0: LevelDB's default of 8 MiB).
  leveldb::Env* env = nullptr;
  size_t block_cache_bytes = 0;
  // The most keys the change journal (see Database::start_journal) holds between two takes.
  size_t journal_limit = size_t{1} << 20;
  // After a failed write: the least time between two attempts to reopen the engine after one
  // that failed, and how long one attempt waits for readers (open cursors) of the old handle.
  std::chrono::milliseconds reopen_interval{1000};
  std::chrono::milliseconds reopen_drain{500};
  // The version to open at and the migrations that lead there. Tests change these to exercise
  // the migration framework; production code leaves them alone.
  int schema_version = kSchemaVersion;
  std::vector<Migration> migrations = builtin_migrations();
};

class Database {
 public:
  class Update;

  // Opens (creating if missing) the LevelDB database in directory `path`. An empty database
  // gets options.schema_version; an older one is migrated in order; a newer one is refused.
  // Errors: failed_precondition (version newer than supported, a missing migration step, or a
  // non-empty database without a version key), io (LevelDB could not open it, e.g. it is locked
  // by another process), internal (a corrupt version key, a failed migration).
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& path,
                                                DatabaseOptions options = {});
  // The same over an engine already open (options.env and block_cache_bytes are not used).
  static Result<std::unique_ptr<Database>> open(std::unique_ptr<Engine> engine,
                                                DatabaseOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The schema version on disk (after migrations).
  int schema_version() const noexcept { return version_; }
  // Whether other processes write the same keys (Engine::shared(): replicas), so what this
  // process remembers of them may be stale.
  bool shared() const noexcept { return engine_->shared(); }
  const Clock& clock() const noexcept { return *clock_; }

  // --- reads: lock-free, consistent per call, safe from any thread ---
  // Reads go on while writes are refused. Only while a reopen closes and opens the engine do
  // they answer unavailable (briefly); if that open failed, until a later one succeeds.

  // The value under `key`, std::nullopt when absent. Errors: io, unavailable.
  Result<std::optional<std::string>> get(std::string_view key) const;

  // Calls fn(key, value) for each key that starts with `prefix` and is >= `start` (the prefix
  // itself when `start` is empty), in key order, over one implicit snapshot, until fn returns
  // false. fn may call other Database methods. Errors: io, unavailable.
  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
  Result<void> scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const;

  // A cursor for callers that seek around (namespace listing, GC), over one consistent view.
  // The caller owns it and must destroy it before the Database. It keeps the engine handle it
  // reads alive: a reopen waits (up to reopen_drain) for it, so hold it only while iterating.
  // While no handle is open it is never valid() and its status() is the error.
  std::unique_ptr<Cursor> cursor() const;

  // --- writes ---

  // Begins an Update: takes wlock shared, then the stripe mutexes of `lock_keys` (in a fixed
  // order, so Updates never deadlock). Blocks while GC holds wlock exclusively or another
  // Update holds one of the stripes. Hold an Update only briefly and never open two at once in
  // one thread.
  Update begin(std::initializer_list<std::string_view> lock_keys);
  Update begin(std::span<const std::string> lock_keys);

  // Registers `fn` to run after every committed Update, with whether the database is dirty.
  // Callbacks run on the committing thread after its locks are released; they must be quick
  // (e.g. signal a scheduler). Thread-safe.
  void on_mutation(std::function<void(bool dirty)> fn);

  // Sets the function told how long each batch write took (whether it was fsynced, and
  // whether it succeeded), for metrics: called on the writing thread after the write, with no
  // lock of the database held; it must be quick and thread-safe. Replaces any earlier one;
  // empty: none. Thread-safe.
  using WriteObserver = std::function<void(std::chrono::nanoseconds elapsed, bool synced, bool ok)>;
  void set_write_observer(WriteObserver fn);

  // --- health ---

  // Whether writes are accepted now: false from a failed write until the reopen succeeded.
  // Lock-free; does not probe LevelDB (see check_writable).
  bool writable() const noexcept { return !failed_.load(); }

  // Whether writes are accepted, found out: while they are refused, attempts the reopen (as a
  // write would); otherwise probes the engine (Engine::probe), which fails when a background
  // error is pending. Blocks on the disk: call it off I/O threads. Errors: no_space (the
  // filesystem is full; the detail says so), unavailable (refused after an I/O error, or a
  // reopen is waiting for readers).
  Result<void> check_writable();

  // --- for GC ---

  // Takes wlock exclusively: no Update can begin or commit until it is released, in this
  // process and (shared engine) in every process. Errors: unavailable, io (the engine's lock).
  Result<FleetLock::Held> lock_exclusive();
  // Whether a reference was removed since the last clear_dirty() (always, on a shared engine).
  bool dirty() const noexcept { return dirty_.load() > 0 || engine_->shared(); }
  // Resets the dirty flag. Call with lock_exclusive() held, after a collection.
  void clear_dirty() noexcept { dirty_.store(0); }

  // Deletes `keys` in one Batch while the caller holds lock_exclusive() (`held` must own
  // this database's wlock). Runs no mutation callbacks: GC's own sweep is not a client change.
  // Errors: failed_precondition (`held` is not this database's wlock), io (nothing was deleted).
  Result<void> remove_exclusive(const FleetLock::Held& held, std::span<const std::string> keys);

  // The change journal, so GC can mark over a snapshot without holding writers: while it is on,
  // every committed Update appends the keys it wrote or deleted (before releasing wlock), so
  // under lock_exclusive() the journal lists every key changed since it was started.
  struct Journal {
    std::vector<std::string> keys;  // in commit order; a key may repeat
    bool dirty = false;             // some journaled Update removed a reference (mark_dirty)
    bool overflowed = false;        // over DatabaseOptions::journal_limit: `keys` is incomplete
  };
  // Starts (or restarts, emptying it) the journal. `held` must own this database's wlock, so
  // every Update either committed before the call or is journaled. Errors: failed_precondition.
  Result<void> start_journal(const FleetLock::Held& held);
  // Returns what was journaled since start_journal() or the previous take_journal(), and keeps
  // journaling. Thread-safe.
  Journal take_journal();
  // Stops journaling and drops what was not taken. Thread-safe.
  void stop_journal();

  // The engine, for tests and tools. Writes through it bypass every rule above.
  Engine& engine() noexcept { return *engine_; }

 private:
  Database(std::unique_ptr<Engine> engine, const Clock* clock, int version);
  // Writes through `txn` (an Update's engine transaction) when given, else the engine.
  Result<void> write(const Batch& batch, bool sync = true, Transaction* txn = nullptr);
  // Records a failed write: writes are refused until recover() succeeds. Thread-safe, quick.
  void mark_failed(Error why) noexcept;
  // The error a refused write gets.
  Error refusal() const;
  // Reopens the engine after a failure (see the header comment); returns refusal() when it did
  // not.
  Result<void> recover();
  void notify();
  void journal(const Batch& batch, bool dirty);

  static constexpr size_t kStripes = 256;

  const Clock* clock_;
  int version_;
  bool sync_writes_ = false;

  std::mutex stripes_[kStripes];
  std::atomic<uint32_t> dirty_{0};

  size_t journal_limit_ = size_t{1} << 20;
  std::atomic<bool> journal_on_{false};
  std::mutex journal_mutex_;
  Journal journal_;           // guarded by journal_mutex_
  std::string journal_mark_;  // shared engine: where changed_since goes on (journal_mutex_)

  mutable std::shared_mutex callbacks_mutex_;
  std::vector<std::function<void(bool)>> callbacks_;
  std::shared_ptr<const WriteObserver> write_observer_;  // guarded by callbacks_mutex_

  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mutex_;
  Error failure_{Errc::io, {}};  // why writes are refused (guarded by failure_mutex_)
  uint64_t failures_ = 0;        // failures marked so far (guarded by failure_mutex_)
  std::mutex recover_mutex_;     // one reopen at a time; others are refused, not queued
  std::chrono::steady_clock::time_point last_failed_open_{};  // guarded by recover_mutex_
  bool open_failed_ = false;                                  // guarded by recover_mutex_
  std::chrono::milliseconds reopen_interval_{1000};
  std::chrono::milliseconds reopen_drain_{500};

  // Declared after the state it reports to, so destroyed before it: closing it may still report
  // a failure to mark_failed.
  std::unique_ptr<Engine> engine_;
  // wlock: Updates hold its local half shared (and the engine's half through their
  // Transaction); GC takes it exclusively. After engine_, which it refers to.
  FleetLock wlock_{*engine_, "gc"};
};

// One atomic change: reads made under stripe locks, then one Batch. Not thread-safe; used
// by the thread that began it. Destroying an uncommitted Update discards its changes.
class Database::Update {
 public:
  Update(Update&&) noexcept;
  Update& operator=(Update&&) = delete;
  ~Update();

  // Reads the committed value under `key` (not this Update's own pending writes).
  // Errors: io.
  Result<std::optional<std::string>> get(std::string_view key) const;
  // Queues a write or a delete.
  void put(std::string_view key, std::string_view value);
  void remove(std::string_view key);
  // Marks this change as removing a reference (sets the database's dirty flag on commit).
  void mark_dirty() noexcept { dirty_ = true; }
  // Lets commit() return before this change is on stable storage (no fsync of its own, even
  // with DatabaseOptions::sync_writes): for changes that acknowledge nothing to a client, such
  // as an ingest record an upload session starts with. The next synced batch makes it durable
  // too (LevelDB's log is written in order); a power cut before that loses it.
  void defer_sync() noexcept { sync_ = false; }
  // Whether anything is queued.
  bool empty() const noexcept { return batch_.empty(); }

  // Writes the batch (nothing when empty), releases the locks, then runs the mutation
  // callbacks. An Update commits at most once. Errors: io (nothing was written).
  Result<void> commit();

 private:
  friend class Database;
  Update(Database& db, std::vector<uint64_t> hashes);

  Database* db_;
  std::shared_lock<std::shared_mutex> wlock_;
  std::vector<std::unique_lock<std::mutex>> locks_;
  std::unique_ptr<Transaction> txn_;  // shared engine: holds the locks in every process
  std::optional<Error> failed_;       // the engine could not begin the transaction
  Batch batch_;
  bool dirty_ = false;
  bool sync_ = true;
  bool done_ = false;
};

}  // namespace cairn::metadata
