// PgEngine: the metadata engine over PostgreSQL — the key schema of keys.h as one ordered
// key/value table, so several cairn processes can share one metadata database.
//
// The table is `<table> (k bytea PRIMARY KEY, v bytea NOT NULL)`; bytea orders bytewise, shorter
// first on a tie, as the Engine contract asks. Through libpq, on the calling thread: the
// Database is used from the offload pool and background threads, never from an I/O thread.
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
// - One process per table, as LevelDB's LOCK file allows one per directory: the engine holds a
//   session advisory lock on the table's name on a connection of its own (PgOptions::exclusive),
//   since the Database's rules (GC's lock and journal) live in the process. Replicas sharing a
//   table need those rules in the database first (issue 13 §2).
#pragma once

#include "storage/metadata/engine.h"

#include <condition_variable>
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
  // Hold the table's advisory lock for the engine's life; open() fails while another holds it.
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

  // One pooled connection, returned to its pool when destroyed (closed instead when broken).
  class Lease;

 private:
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

  const std::string uri_;
  const PgOptions options_;
  // Queries name the table through these, built once from the validated name.
  std::string sql_get_, sql_put_, sql_remove_, sql_page_first_, sql_page_next_;
  mutable std::mutex mutex_;
  mutable std::condition_variable freed_;
  mutable Pool points_;            // guarded by mutex_
  mutable Pool cursors_;           // guarded by mutex_
  PGconn* lock_holder_ = nullptr;  // holds the advisory lock (PgOptions::exclusive)

  friend class PgCursor;
};

}  // namespace cairn::metadata
