// PgEngine: the metadata engine over PostgreSQL — the key schema of keys.h as one ordered
// key/value table, so several cairn processes can share one metadata database.
//
// The table is `<table> (k bytea PRIMARY KEY, v bytea NOT NULL, x xid8)`; bytea orders bytewise,
// shorter first on a tie, as the Engine contract asks; x is the transaction that last wrote the
// row (indexed), from which changed_since() finds what changed after a snapshot. Through libpq, on
// the calling thread: the Database is used from the offload pool and background threads, never from
// an I/O thread.
//
// - write() is one transaction: BEGIN, one statement per change in order, COMMIT. With `sync`
//   the COMMIT returns once PostgreSQL has flushed its WAL to stable storage
//   (synchronous_commit on, the server's default; the server's own fsync setting must be on);
//   without it the transaction sets synchronous_commit off: a crash of the database server may
//   lose it, never half of it.
// - Point reads and writes take a connection from a bounded pool (PgOptions::connections),
//   waiting for one when all are busy; none is held while waiting on anything else, so they
//   never deadlock.
// - A cursor holds a connection of its own for its life, in a REPEATABLE READ READ ONLY
//   transaction (one consistent view), and reads the keys in pages. Cursors come from a second
//   bounded pool (PgOptions::cursors) and never wait for it: when every cursor connection is
//   in use, cursor() answers a cursor whose status() is unavailable. A thread holding a cursor
//   may still read and write (the first pool), and may open a nested cursor, without deadlock.
// - A connection that broke is closed and replaced by a new one on next use. reopen() closes
//   every idle connection and checks that a new one works; it need not wait for cursors.
// - Who else may use the table: the engine holds a session advisory lock on the table's name on
//   a connection of its own, exclusively (PgOptions::exclusive, the default: one process, as
//   LevelDB's LOCK file allows one per directory; offline commands) or shared (replicas: any
//   number of servers at once, none while an exclusive holder has it, and the other way round).
// - Shared (shared() true), the Database's rules hold across the replicas through the database:
//   * begin_update() is a transaction on a connection of a third pool (PgOptions::transactions,
//     waited for) that first takes pg_advisory_xact_lock_shared on the GC lock and
//     pg_advisory_xact_lock on each key hash in ascending order (so two never deadlock), all
//     released by its COMMIT or ROLLBACK;
//   * hold() is a session advisory lock (shared or exclusive) on a connection of a fourth pool
//     (PgOptions::holds, waited for), kept until the Hold goes; try_hold() the same, taken only
//     when free, on a fifth pool (PgOptions::claims) never waited for;
//   * journal_mark() is a snapshot (pg_current_snapshot) and changed_since() lists the rows whose
//     x that snapshot does not see, then moves the mark to a new one: exact with writers in
//     flight, as PostgreSQL's own visibility is.
//   A thread may hold a Hold, then an Update's transaction, then point reads, and a cursor
//   alongside; none of these waits for a pool a holder of the same or a later one waits for, so
//   the pools never deadlock.
#pragma once

#include "storage/metadata/engine.h"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

typedef struct pg_conn PGconn;

namespace cairn::metadata {

struct PgOptions {
  // The table holding the keys (created when missing): a lowercase SQL identifier.
  std::string table = "cairn_metadata";
  // Connections for point reads and writes (waited for), and for cursors (never waited for).
  size_t connections = 8;
  size_t cursors = 16;
  // Rows a cursor fetches at a time.
  size_t page_rows = 512;
  // How long opening one connection may take, in seconds (libpq connect_timeout).
  int connect_timeout_seconds = 10;
  // Connections for Updates' transactions and for Holds (both waited for; shared engines only).
  size_t transactions = 8;
  size_t holds = 8;
  // Connections for try_hold() claims (never waited for; shared engines only).
  size_t claims = 32;
  // Hold the table's advisory lock exclusively for the engine's life (open() fails while anyone
  // else holds it); false: shared, as one of several replicas (open() fails while a process
  // holds it exclusively), and the engine is shared().
  bool exclusive = true;
};

class PgEngine final : public Engine {
 public:
  // Connects to `uri` (any libpq connection URI or keyword string, e.g.
  // postgresql://cairn@127.0.0.1:5432/cairn) and creates the table when missing.
  // Errors: invalid_argument (a table name that is not a plain identifier), unavailable (the
  // server cannot be reached), failed_precondition (another process holds the table's lock),
  // io (the table cannot be created).
  static Result<std::unique_ptr<PgEngine>> open(std::string uri, PgOptions options = {});
  ~PgEngine() override;

  Result<std::optional<std::string>> get(std::string_view key) const override;
  std::unique_ptr<Cursor> cursor() const override;
  Result<void> write(const Batch& batch, bool sync) override;
  Result<void> probe() override;
  Result<void> reopen(std::chrono::milliseconds drain) override;
  void on_failure(FailureFn) override {}  // nothing fails in the background

  bool shared() const override { return !options_.exclusive; }
  Result<std::unique_ptr<Hold>> hold(std::string_view name, bool exclusive) override;
  Result<std::unique_ptr<Hold>> try_hold(std::string_view name) override;
  Result<std::unique_ptr<Transaction>> begin_update(std::string_view gc_lock,
                                                    std::span<const uint64_t> key_locks) override;
  Result<std::string> journal_mark() override;
  Result<Changes> changed_since(std::string& mark, size_t limit) override;

  // One pooled connection, returned to its pool when destroyed (closed instead when broken).
  class Lease;

 private:
  friend class PgHold;
  friend class PgTransaction;
  // A bounded set of connections to one server.
  struct Pool {
    size_t limit = 0;
    size_t open = 0;  // connections alive, idle or leased
    std::vector<PGconn*> idle;
  };
  PgEngine(std::string uri, PgOptions options);
  // A connection of `pool`: an idle one, a new one while under the limit, else waits (`wait`)
  // or answers unavailable. Errors: unavailable (cannot connect, or none free without waiting).
  Result<Lease> lease(Pool& pool, bool wait) const;
  void give_back(Pool& pool, PGconn* conn, bool broken) const;
  Result<PGconn*> connect() const;
  // The advisory lock key of `name` (a lock of hold()) or of a key hash, for this table.
  int64_t lock_key(std::string_view name) const;
  int64_t lock_key(uint64_t key_hash) const;
  // Applies `batch` in the transaction open on `conn`, then commits it.
  Result<void> apply(PGconn* conn, const Batch& batch) const;

  const std::string uri_;
  const PgOptions options_;
  // Queries name the table through these, built once from the validated name.
  std::string sql_get_, sql_put_, sql_remove_, sql_page_first_, sql_page_next_, sql_changed_;
  mutable std::mutex mutex_;
  mutable std::condition_variable freed_;
  mutable Pool points_;            // guarded by mutex_
  mutable Pool cursors_;           // guarded by mutex_
  mutable Pool transactions_;      // guarded by mutex_
  mutable Pool holds_;             // guarded by mutex_
  mutable Pool claims_;            // guarded by mutex_
  PGconn* lock_holder_ = nullptr;  // holds the advisory lock (PgOptions::exclusive)

  friend class PgCursor;
};

}  // namespace cairn::metadata
