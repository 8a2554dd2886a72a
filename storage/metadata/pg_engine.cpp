#include "storage/metadata/pg_engine.h"

#include "storage/metadata/error_cursor.h"

#include <libpq-fe.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

namespace cairn::metadata {

namespace {

constexpr Oid kByteaOid = 17;  // pg_type.oid of bytea

// Frees a PGresult on every path.
struct ResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

// Whether `conn` can no longer be used (the server went away, or the protocol broke).
bool broken(PGconn* conn) {
  return PQstatus(conn) != CONNECTION_OK;
}

// A failed statement as an Error: no_space when the server's disk is full (SQLSTATE 53100
// disk_full), else io (a broken connection included: the Database then refuses writes until
// reopen() found a working one).
Error statement_error(std::string_view context, PGconn* conn, const PGresult* res) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string detail = std::string(context) + ": " + trimmed(PQerrorMessage(conn));
  if (state != nullptr && std::string_view(state) == "53100")
    return fail(Errc::no_space, std::string(context) + ": the metadata database's disk is full");
  return fail(Errc::io, std::move(detail));
}

bool plain_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63 || (!(s[0] >= 'a' && s[0] <= 'z') && s[0] != '_'))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Runs `sql` with bytea parameters (binary) and asks for binary results.
template <class... Params>
PgResult exec(PGconn* conn, const std::string& sql, const Params&... params) {
  constexpr int n = sizeof...(Params);
  const std::string_view views[n] = {std::string_view(params)...};
  Oid types[n];
  const char* values[n];
  int lengths[n];
  int formats[n];
  for (int i = 0; i < n; ++i) {
    types[i] = kByteaOid;
    values[i] = views[i].data() != nullptr ? views[i].data() : "";  // null would mean SQL NULL
    lengths[i] = static_cast<int>(views[i].size());
    formats[i] = 1;
  }
  return PgResult(PQexecParams(conn, sql.c_str(), n, types, values, lengths, formats, 1));
}

// Runs `sql` with one parameter in text form (its type inferred from the statement).
PgResult exec_text(PGconn* conn, const std::string& sql, const std::string& param) {
  const char* values[1] = {param.c_str()};
  return PgResult(PQexecParams(conn, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 1));
}

bool ok(const PgResult& r) {
  const auto st = PQresultStatus(r.get());
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

std::string_view field(const PgResult& r, int row, int column) {
  return std::string_view(PQgetvalue(r.get(), row, column),
                          static_cast<size_t>(PQgetlength(r.get(), row, column)));
}

// The value under `key` on `conn` (in whatever transaction it is in).
Result<std::optional<std::string>> read_value(PGconn* conn, const std::string& sql,
                                              std::string_view key) {
  PgResult r = exec(conn, sql, key);
  if (!ok(r))
    return statement_error("read metadata", conn, r.get());
  if (PQntuples(r.get()) == 0)
    return std::optional<std::string>();
  return std::optional<std::string>(std::string(field(r, 0, 0)));
}

// FNV-1a, continued from `h`: the same in every process and build.
uint64_t fnv(std::string_view bytes, uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

class PgEngine::Lease {
 public:
  Lease(const PgEngine& engine, Pool& pool, PGconn* conn)
      : engine_(&engine), pool_(&pool), conn_(conn) {}
  Lease(Lease&& o) noexcept
      : engine_(o.engine_), pool_(o.pool_), conn_(std::exchange(o.conn_, nullptr)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (conn_ != nullptr)
      engine_->give_back(*pool_, conn_,
                         broken(conn_) || PQtransactionStatus(conn_) != PQTRANS_IDLE);
  }
  PGconn* get() const noexcept { return conn_; }
  // Closes the connection instead of returning it (whatever it holds goes with it).
  void discard() noexcept {
    if (conn_ != nullptr)
      engine_->give_back(*pool_, std::exchange(conn_, nullptr), /*broken=*/true);
  }

 private:
  const PgEngine* engine_;
  Pool* pool_;
  PGconn* conn_;
};

// Pages through the keys over one REPEATABLE READ transaction of its own connection.
class PgCursor final : public Cursor {
 public:
  PgCursor(const PgEngine& engine, PgEngine::Lease lease)
      : engine_(engine), lease_(std::move(lease)) {
    // The view is taken by the transaction's first statement, not by BEGIN: the SELECT takes it
    // now, when the cursor is made, as the Engine contract asks.
    PgResult r(PQexec(lease_.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1"));
    if (!ok(r))
      error_ = statement_error("begin metadata cursor", lease_.get(), r.get());
  }
  ~PgCursor() override {
    if (PQtransactionStatus(lease_.get()) != PQTRANS_IDLE)
      PgResult(PQexec(lease_.get(), "ROLLBACK"));  // read only: nothing to keep
  }

  void seek(std::string_view target) override { fetch(engine_.sql_page_first_, target); }
  bool valid() const override { return !error_ && row_ < rows_; }
  void next() override {
    if (row_ + 1 < rows_ || !more_) {
      ++row_;
      return;
    }
    fetch(engine_.sql_page_next_, key());  // the page's last key: the next page starts after it
  }
  std::string_view key() const override { return field(0); }
  std::string_view value() const override { return field(1); }
  Result<void> status() const override {
    if (error_)
      return *error_;
    return {};
  }

 private:
  // Fetches the page of keys from `from` on (sql_page_first_: >=, sql_page_next_: >).
  void fetch(const std::string& sql, std::string_view from) {
    row_ = rows_ = 0;
    more_ = false;
    if (error_)
      return;
    // Its own copy: `from` may point into the page this replaces.
    const std::string start(from);
    page_ = exec(lease_.get(), sql, start);
    if (!ok(page_)) {
      error_ = statement_error("read metadata", lease_.get(), page_.get());
      page_.reset();
      return;
    }
    rows_ = PQntuples(page_.get());
    more_ = static_cast<size_t>(rows_) == engine_.options_.page_rows;
  }
  std::string_view field(int column) const {
    return std::string_view(PQgetvalue(page_.get(), row_, column),
                            static_cast<size_t>(PQgetlength(page_.get(), row_, column)));
  }

  const PgEngine& engine_;
  PgEngine::Lease lease_;
  PgResult page_;
  int row_ = 0;
  int rows_ = 0;
  bool more_ = false;  // the page was full: there may be more after it
  std::optional<Error> error_;
};

// A session advisory lock on a connection of the holds pool, released when destroyed.
class PgHold final : public Hold {
 public:
  PgHold(PgEngine::Lease lease, int64_t key, bool exclusive)
      : lease_(std::move(lease)), key_(key), exclusive_(exclusive) {}
  ~PgHold() override {
    const std::string sql = std::string(exclusive_ ? "SELECT pg_advisory_unlock("
                                                   : "SELECT pg_advisory_unlock_shared(") +
                            std::to_string(key_) + ")";
    PgResult r(PQexec(lease_.get(), sql.c_str()));
    // Not released (the connection broke, or the lock was not there): closing the connection
    // releases whatever it holds; never return a connection that may still hold a lock.
    if (!ok(r) || PQntuples(r.get()) != 1 || PQgetvalue(r.get(), 0, 0)[0] != 't')
      lease_.discard();
  }

 private:
  PgEngine::Lease lease_;
  int64_t key_;
  bool exclusive_;
};

// An Update's transaction, holding its locks, on a connection of the transactions pool.
class PgTransaction final : public Transaction {
 public:
  PgTransaction(const PgEngine& engine, PgEngine::Lease lease)
      : engine_(engine), lease_(std::move(lease)) {}
  ~PgTransaction() override {
    if (PQtransactionStatus(lease_.get()) != PQTRANS_IDLE) {
      PgResult r(PQexec(lease_.get(), "ROLLBACK"));  // writes nothing; releases the locks
      if (!ok(r))
        lease_.discard();
    }
  }
  Result<std::optional<std::string>> get(std::string_view key) override {
    return read_value(lease_.get(), engine_.sql_get_, key);
  }
  Result<void> commit(const Batch& batch, bool sync) override {
    if (!sync) {
      PgResult r(PQexec(lease_.get(), "SET LOCAL synchronous_commit TO OFF"));
      if (!ok(r))
        return statement_error("write metadata", lease_.get(), r.get());
    }
    return engine_.apply(lease_.get(), batch);
  }

 private:
  const PgEngine& engine_;
  PgEngine::Lease lease_;
};

Result<std::unique_ptr<PgEngine>> PgEngine::open(std::string uri, PgOptions options) {
  if (!plain_identifier(options.table)) {
    return fail(Errc::invalid_argument,
                "metadata table name must be a lowercase SQL identifier: " + options.table);
  }
  options.connections = std::max<size_t>(options.connections, 1);
  options.cursors = std::max<size_t>(options.cursors, 1);
  options.transactions = std::max<size_t>(options.transactions, 1);
  options.holds = std::max<size_t>(options.holds, 1);
  options.claims = std::max<size_t>(options.claims, 1);
  options.page_rows = std::max<size_t>(options.page_rows, 1);
  std::unique_ptr<PgEngine> engine(new PgEngine(std::move(uri), std::move(options)));
  auto lease = engine->lease(engine->points_, /*wait=*/true);
  if (!lease)
    return lease.error();
  // Concurrent first starts of several replicas may race on the catalog: one retry settles it.
  // A table of the first layout (no x) gains the column: once, while nothing else uses it (the
  // ALTER waits for every reader), which is why the catalog is asked first.
  const std::string& t = engine->options_.table;
  const std::string create =
      "CREATE TABLE IF NOT EXISTS " + t +
      " (k bytea PRIMARY KEY, v bytea NOT NULL, x xid8 NOT NULL DEFAULT pg_current_xact_id())";
  const std::string has_x =
      "SELECT 1 FROM pg_attribute WHERE attrelid = '" + t + "'::regclass AND attname = 'x'";
  const std::string add_x =
      "ALTER TABLE " + t + " ADD COLUMN IF NOT EXISTS x xid8 NOT NULL DEFAULT pg_current_xact_id()";
  const std::string index = "CREATE INDEX IF NOT EXISTS " + t + "_x ON " + t + " (x)";
  for (int attempt = 0;; ++attempt) {
    PgResult r(PQexec(lease->get(), create.c_str()));
    if (ok(r))
      r.reset(PQexec(lease->get(), has_x.c_str()));
    if (ok(r) && PQntuples(r.get()) == 0)
      r.reset(PQexec(lease->get(), add_x.c_str()));
    if (ok(r))
      r.reset(PQexec(lease->get(), index.c_str()));
    if (ok(r))
      break;
    if (attempt == 1 || broken(lease->get()))
      return statement_error("create metadata table", lease->get(), r.get());
  }
  auto holder = engine->connect();
  if (!holder)
    return holder.error();
  engine->lock_holder_ = *holder;
  const bool exclusive = engine->options_.exclusive;
  const std::string lock = std::string(exclusive ? "SELECT pg_try_advisory_lock("
                                                 : "SELECT pg_try_advisory_lock_shared(") +
                           std::to_string(engine->lock_key(std::string_view("table"))) + ")";
  PgResult r(PQexec(*holder, lock.c_str()));
  if (!ok(r))
    return statement_error("lock metadata table", *holder, r.get());
  if (PQntuples(r.get()) != 1 || PQgetvalue(r.get(), 0, 0)[0] != 't') {
    return fail(Errc::failed_precondition,
                "the metadata table " + t + " is in use by " +
                    (exclusive ? "another cairn process (a server, or an offline command)"
                               : "an offline cairn command (it holds the table alone)"));
  }
  return engine;
}

PgEngine::PgEngine(std::string uri, PgOptions options)
    : uri_(std::move(uri)), options_(std::move(options)) {
  const std::string& t = options_.table;
  sql_get_ = "SELECT v FROM " + t + " WHERE k = $1";
  sql_put_ = "INSERT INTO " + t +
             " (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, x = "
             "pg_current_xact_id()";
  sql_remove_ = "DELETE FROM " + t + " WHERE k = $1";
  const std::string limit = " ORDER BY k LIMIT " + std::to_string(options_.page_rows);
  sql_page_first_ = "SELECT k, v FROM " + t + " WHERE k >= $1" + limit;
  sql_page_next_ = "SELECT k, v FROM " + t + " WHERE k > $1" + limit;
  // Rows a snapshot does not see: written by transactions that had not committed when it was
  // taken. Those at or past its xmin, through the index on x.
  sql_changed_ = "SELECT k FROM " + t +
                 " WHERE x >= pg_snapshot_xmin($1::pg_snapshot) AND NOT "
                 "pg_visible_in_snapshot(x, $1::pg_snapshot) LIMIT ";
  points_.limit = options_.connections;
  cursors_.limit = options_.cursors;
  transactions_.limit = options_.transactions;
  holds_.limit = options_.holds;
  claims_.limit = options_.claims;
}

PgEngine::~PgEngine() {
  // Every Lease and cursor is gone by now (the Database and its users went first).
  for (Pool* p : {&points_, &cursors_, &transactions_, &holds_, &claims_}) {
    for (PGconn* c : p->idle)
      PQfinish(c);
    p->idle.clear();
  }
  if (lock_holder_ != nullptr)
    PQfinish(lock_holder_);  // releases the advisory lock
}

int64_t PgEngine::lock_key(std::string_view name) const {
  return static_cast<int64_t>(fnv(name, fnv(options_.table + '\n')));
}

int64_t PgEngine::lock_key(uint64_t key_hash) const {
  char bytes[8];
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>(key_hash >> (8 * i));
  return static_cast<int64_t>(fnv(std::string_view(bytes, 8), fnv(options_.table + '\0')));
}

Result<PGconn*> PgEngine::connect() const {
  const std::string timeout = std::to_string(options_.connect_timeout_seconds);
  // connect_timeout first: a value the URI carries overrides it.
  // Notices (CREATE … IF NOT EXISTS skipping) are not errors: not printed.
  const char* keywords[] = {"connect_timeout", "options", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "-c client_min_messages=warning", uri_.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr)
    return fail(Errc::unavailable, "connect to the metadata database: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    Error e = fail(Errc::unavailable,
                   "connect to the metadata database: " + trimmed(PQerrorMessage(conn)));
    PQfinish(conn);
    return e;
  }
  return conn;
}

Result<PgEngine::Lease> PgEngine::lease(Pool& pool, bool wait) const {
  std::unique_lock lock(mutex_);
  while (pool.idle.empty() && pool.open >= pool.limit) {
    if (!wait) {
      return fail(Errc::unavailable, std::string("every metadata database connection for ") +
                                         (&pool == &cursors_ ? "cursors" : "claims") +
                                         " is in use; retry later");
    }
    freed_.wait(lock);
  }
  if (!pool.idle.empty()) {
    PGconn* c = pool.idle.back();
    pool.idle.pop_back();
    return Lease(*this, pool, c);
  }
  ++pool.open;  // this slot is ours while we connect, without the lock
  lock.unlock();
  auto c = connect();
  if (!c) {
    lock.lock();
    --pool.open;
    freed_.notify_all();
    return c.error();
  }
  return Lease(*this, pool, *c);
}

void PgEngine::give_back(Pool& pool, PGconn* conn, bool is_broken) const {
  {
    std::lock_guard lock(mutex_);
    if (is_broken) {
      --pool.open;
    } else {
      pool.idle.push_back(conn);
      conn = nullptr;
    }
  }
  freed_.notify_all();
  if (conn != nullptr)
    PQfinish(conn);
}

Result<std::optional<std::string>> PgEngine::get(std::string_view key) const {
  auto lease = this->lease(points_, /*wait=*/true);
  if (!lease)
    return lease.error();
  return read_value(lease->get(), sql_get_, key);
}

std::unique_ptr<Cursor> PgEngine::cursor() const {
  auto lease = this->lease(cursors_, /*wait=*/false);
  if (!lease)
    return std::make_unique<ErrorCursor>(lease.error());
  return std::make_unique<PgCursor>(*this, std::move(*lease));
}

Result<void> PgEngine::write(const Batch& batch, bool sync) {
  if (batch.empty())
    return {};
  auto lease = this->lease(points_, /*wait=*/true);
  if (!lease)
    return lease.error();
  PGconn* c = lease->get();
  // A failure before COMMIT was sent changes nothing (the transaction is rolled back when the
  // lease closes the connection); only a failed COMMIT leaves the outcome unknown, which the
  // Database treats as failed either way.
  PgResult begin(PQexec(c, sync ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit TO OFF"));
  if (!ok(begin))
    return statement_error("write metadata", c, begin.get());
  return apply(c, batch);
}

Result<void> PgEngine::apply(PGconn* c, const Batch& batch) const {
  for (const auto& op : batch.ops()) {
    PgResult r = op.value ? exec(c, sql_put_, op.key, *op.value) : exec(c, sql_remove_, op.key);
    if (!ok(r))
      return statement_error("write metadata", c, r.get());
  }
  // With synchronous_commit on, COMMIT answers once the WAL holding the transaction is flushed
  // to stable storage on the server: the fsync that makes the batch durable.
  PgResult commit(PQexec(c, "COMMIT"));
  if (!ok(commit))
    return statement_error("commit metadata", c, commit.get());
  return {};
}

Result<std::unique_ptr<Hold>> PgEngine::hold(std::string_view name, bool exclusive) {
  if (!shared())
    return std::unique_ptr<Hold>();
  auto lease = this->lease(holds_, /*wait=*/true);
  if (!lease)
    return lease.error();
  const int64_t key = lock_key(name);
  const std::string sql =
      std::string(exclusive ? "SELECT pg_advisory_lock(" : "SELECT pg_advisory_lock_shared(") +
      std::to_string(key) + ")";
  PgResult r(PQexec(lease->get(), sql.c_str()));
  if (!ok(r))
    return statement_error("take metadata lock " + std::string(name), lease->get(), r.get());
  return std::unique_ptr<Hold>(std::make_unique<PgHold>(std::move(*lease), key, exclusive));
}

Result<std::unique_ptr<Hold>> PgEngine::try_hold(std::string_view name) {
  if (!shared())
    return std::unique_ptr<Hold>(std::make_unique<Hold>());
  auto lease = this->lease(claims_, /*wait=*/false);
  if (!lease)
    return lease.error();
  const int64_t key = lock_key(name);
  const std::string sql = "SELECT pg_try_advisory_lock(" + std::to_string(key) + ")";
  PgResult r(PQexec(lease->get(), sql.c_str()));
  if (!ok(r) || PQntuples(r.get()) != 1)
    return statement_error("claim " + std::string(name), lease->get(), r.get());
  if (PQgetvalue(r.get(), 0, 0)[0] != 't')
    return std::unique_ptr<Hold>();  // another process has it
  return std::unique_ptr<Hold>(std::make_unique<PgHold>(std::move(*lease), key, true));
}

Result<std::unique_ptr<Transaction>> PgEngine::begin_update(std::string_view gc_lock,
                                                            std::span<const uint64_t> key_locks) {
  if (!shared())
    return std::unique_ptr<Transaction>();
  std::vector<int64_t> keys;
  keys.reserve(key_locks.size());
  for (uint64_t h : key_locks)
    keys.push_back(lock_key(h));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // One round trip: statements of one simple query run in order, in the transaction BEGIN opens.
  std::string sql =
      "BEGIN; SELECT pg_advisory_xact_lock_shared(" + std::to_string(lock_key(gc_lock)) + ")";
  for (int64_t k : keys)
    sql += "; SELECT pg_advisory_xact_lock(" + std::to_string(k) + ")";
  auto lease = this->lease(transactions_, /*wait=*/true);
  if (!lease)
    return lease.error();
  PgResult r(PQexec(lease->get(), sql.c_str()));
  if (!ok(r))
    return statement_error("begin metadata update", lease->get(), r.get());
  return std::unique_ptr<Transaction>(std::make_unique<PgTransaction>(*this, std::move(*lease)));
}

Result<std::string> PgEngine::journal_mark() {
  auto lease = this->lease(points_, /*wait=*/true);
  if (!lease)
    return lease.error();
  PgResult r(PQexec(lease->get(), "SELECT pg_current_snapshot()::text"));
  if (!ok(r) || PQntuples(r.get()) != 1)
    return statement_error("mark the metadata journal", lease->get(), r.get());
  return std::string(PQgetvalue(r.get(), 0, 0));
}

Result<Engine::Changes> PgEngine::changed_since(std::string& mark, size_t limit) {
  auto lease = this->lease(points_, /*wait=*/true);
  if (!lease)
    return lease.error();
  PGconn* c = lease->get();
  // One view: the snapshot that becomes the next mark is the one the rows are read in.
  PgResult r(PQexec(c,
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                    "SELECT pg_current_snapshot()::text"));
  if (!ok(r) || PQntuples(r.get()) != 1)
    return statement_error("read the metadata journal", c, r.get());
  std::string next = PQgetvalue(r.get(), 0, 0);
  const std::string sql = sql_changed_ + std::to_string(limit + 1);
  PgResult rows = exec_text(c, sql, mark);
  if (!ok(rows))
    return statement_error("read the metadata journal", c, rows.get());
  Changes out;
  const int n = PQntuples(rows.get());
  out.overflowed = static_cast<size_t>(n) > limit;
  if (!out.overflowed) {
    out.keys.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
      out.keys.emplace_back(field(rows, i, 0));
  }
  PgResult end(PQexec(c, "COMMIT"));
  if (!ok(end))
    return statement_error("read the metadata journal", c, end.get());
  mark = std::move(next);
  return out;
}

Result<void> PgEngine::probe() {
  auto lease = this->lease(points_, /*wait=*/true);
  if (!lease)
    return lease.error();
  PgResult r(PQexec(lease->get(), "SELECT 1"));
  if (!ok(r)) {
    return fail(Errc::unavailable,
                "probe metadata database: " + trimmed(PQerrorMessage(lease->get())));
  }
  return {};
}

Result<void> PgEngine::reopen(std::chrono::milliseconds) {
  std::vector<PGconn*> closing;
  {
    std::lock_guard lock(mutex_);
    for (Pool* p : {&points_, &cursors_, &transactions_, &holds_, &claims_}) {
      p->open -= p->idle.size();
      closing.insert(closing.end(), p->idle.begin(), p->idle.end());
      p->idle.clear();
    }
  }
  freed_.notify_all();
  for (PGconn* c : closing)
    PQfinish(c);
  return probe();
}

}  // namespace cairn::metadata
