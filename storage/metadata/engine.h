// Engine: the ordered key/value store under the metadata Database — the seam a metadata backend
// plugs into.
//
// The Database (db.h) keeps every rule of the schema above it: one batch per Update, striped
// key locks, the GC lock and change journal, mutation callbacks, the schema version and its
// migrations, refusing writes after a failed one until the engine has reopened. An engine only
// stores ordered keys: point reads, cursors over a consistent view, atomic batches. LevelDB
// (leveldb_engine.h) is the embedded one.
//
// What every engine guarantees:
//  - keys order bytewise (memcmp, shorter first on a tie), as keys.h draws them;
//  - write() applies a batch atomically: after a crash either all of it or none of it is there,
//    and with `sync` it returns only once the batch is on stable storage;
//  - a cursor reads one consistent view of the keys, taken when it was made, and keeps what it
//    reads alive for as long as it lives (a reopen never pulls its view away);
//  - reads and writes are thread-safe; a cursor is used by one thread.
//
// An engine several processes write at once (PostgreSQL under replicas: shared() is true) also
// carries the Database's rules across them: the GC lock and key locks (begin_update), named
// locks (hold), and the change journal (journal_mark, changed_since). An engine only one process
// opens (LevelDB) leaves them to the Database's in-process locks: the defaults below.
#pragma once

#include "storage/common/result.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::metadata {

// Iterates the keys of an Engine in order over the view it was made with.
class Cursor {
 public:
  virtual ~Cursor() = default;
  // Positions at the first key >= target ("" is the first key).
  virtual void seek(std::string_view target) = 0;
  // Whether it is positioned at a key (false past the last one, or after an error).
  virtual bool valid() const = 0;
  // Moves to the next key. Requires valid().
  virtual void next() = 0;
  // The key and value it is positioned at; valid until the next seek() or next(). Requires
  // valid().
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Whether every step so far succeeded (a read error ends the iteration: valid() turns false).
  // Errors: io, unavailable.
  virtual Result<void> status() const = 0;
};

// The changes of one atomic write, in order: a later change to a key overrides an earlier one.
class Batch {
 public:
  struct Op {
    std::string key;
    std::optional<std::string> value;  // std::nullopt: remove the key
  };

  void put(std::string_view key, std::string_view value) {
    ops_.push_back(Op{std::string(key), std::string(value)});
  }
  void remove(std::string_view key) { ops_.push_back(Op{std::string(key), std::nullopt}); }
  const std::vector<Op>& ops() const noexcept { return ops_; }
  bool empty() const noexcept { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

// A lock held across every process sharing an engine, released when destroyed.
class Hold {
 public:
  virtual ~Hold() = default;
};

// The locked read-modify-write of one Database::Update on a shared engine: begun holding the GC
// lock shared and the Update's key locks, in every process; reads see what other processes
// committed before the locks were granted; commit() writes the batch atomically and releases the
// locks (destroying it uncommitted releases them and writes nothing).
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  // Errors: as Engine::write. At most once.
  virtual Result<void> commit(const Batch& batch, bool sync) = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // The value under `key`, std::nullopt when absent. Errors: io, unavailable.
  virtual Result<std::optional<std::string>> get(std::string_view key) const = 0;
  // A cursor over the keys as they are now. While the engine cannot read (reopening), one whose
  // status() is the error and that is never valid().
  virtual std::unique_ptr<Cursor> cursor() const = 0;
  // Applies `batch` atomically; with `sync`, durably before it returns. Errors: no_space (its
  // storage is full; the detail says so), io, unavailable. After an error the Database writes
  // nothing more until reopen() succeeded.
  virtual Result<void> write(const Batch& batch, bool sync) = 0;
  // Whether a write would be accepted now, without changing anything (a pending background
  // error answers here). Errors: as write().
  virtual Result<void> probe() = 0;
  // After a failed write: closes and opens the engine again so the next write starts clean, and
  // every acknowledged write is still there. An engine whose cursors pin what the reopen
  // replaces (LevelDB's handle) waits up to `drain` for them; one whose cursors hold their own
  // connections (PostgreSQL) need not. Errors: unavailable (cursors still open after `drain`),
  // no_space (no room to reopen yet), io.
  virtual Result<void> reopen(std::chrono::milliseconds drain) = 0;

  // Told of a failure the engine found on its own (a background compaction's write), so the
  // Database refuses writes at once. Set once, before use; called from any thread, quickly.
  using FailureFn = std::function<void(Error)>;
  virtual void on_failure(FailureFn fn) = 0;

  // --- shared by several processes ---

  // Whether other processes may write these keys at the same time as this one.
  virtual bool shared() const { return false; }
  // Takes lock `name` of every process sharing the engine, exclusively or shared, waiting for
  // it; nullptr when the engine is not shared (the caller's in-process lock is all there is).
  // Errors: unavailable, io.
  virtual Result<std::unique_ptr<Hold>> hold(std::string_view name, bool exclusive) {
    (void)name, (void)exclusive;
    return std::unique_ptr<Hold>();
  }
  // Takes lock `name` exclusively if nobody holds it, without waiting: a Hold when taken (an
  // empty one when the engine is not shared: this process's own coordination is all there
  // is), nullptr while another process holds it. For claims a process keeps for long (a cache
  // fill): they use connections of their own, and when none is free the answer is unavailable.
  // Errors: unavailable, io.
  virtual Result<std::unique_ptr<Hold>> try_hold(std::string_view name) {
    (void)name;
    return std::make_unique<Hold>();
  }
  // Begins a Transaction holding lock `gc_lock` shared (as hold() names it) and exclusive locks
  // on `key_locks` (hashes of keys; taken in ascending order, so transactions never deadlock);
  // nullptr when not shared. Errors: unavailable, io.
  virtual Result<std::unique_ptr<Transaction>> begin_update(std::string_view gc_lock,
                                                            std::span<const uint64_t> key_locks) {
    (void)gc_lock, (void)key_locks;
    return std::unique_ptr<Transaction>();
  }
  // The change journal across processes. journal_mark() names the present; changed_since(mark)
  // lists every key written (not removed) by any process since `mark` was named, at most
  // `limit` (overflowed: there were more), and moves `mark` to the present. Call journal_mark()
  // while no write is in flight in any process (the GC lock held exclusively). Errors: io,
  // unavailable; failed_precondition when not shared.
  struct Changes {
    std::vector<std::string> keys;
    bool overflowed = false;
  };
  virtual Result<std::string> journal_mark() {
    return fail(Errc::failed_precondition, "not a shared engine");
  }
  virtual Result<Changes> changed_since(std::string& mark, size_t limit) {
    (void)mark, (void)limit;
    return fail(Errc::failed_precondition, "not a shared engine");
  }
};

}  // namespace cairn::metadata
