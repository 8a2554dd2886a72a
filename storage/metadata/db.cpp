#include "storage/metadata/db.h"

#include "storage/metadata/keys.h"
#include "storage/metadata/leveldb_engine.h"

#include <algorithm>
#include <charconv>

namespace cairn::metadata {

namespace {

Result<std::optional<int>> read_version(const Engine& db) {
  auto value = db.get(keys::version());
  if (!value)
    return fail(Errc::io, "read schema version: " + value.error().detail);
  if (!value->has_value())
    return std::optional<int>();
  const std::string& text = **value;
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) {
    return fail(Errc::internal, "corrupt schema version");
  }
  return std::optional<int>(v);
}

bool is_empty(const Engine& db) {
  auto c = db.cursor();
  c->seek("");
  return !c->valid();
}

// Brings the database from `from` to `to`, one version per batch.
Result<void> migrate(Engine& db, int from, int to, const std::vector<Migration>& migrations) {
  for (int v = from; v < to; ++v) {
    auto it = std::find_if(migrations.begin(), migrations.end(),
                           [v](const Migration& m) { return m.from == v; });
    if (it == migrations.end() || !it->run) {
      return fail(Errc::failed_precondition,
                  "no migration from metadata schema version " + std::to_string(v));
    }
    Batch batch;
    if (auto r = it->run(db, batch); !r) {
      return fail(Errc::internal, "migration " + it->name + " (from version " + std::to_string(v) +
                                      ") failed: " + r.error().detail);
    }
    batch.put(keys::version(), std::to_string(v + 1));
    if (auto r = db.write(batch, /*sync=*/true); !r)
      return fail(Errc::io, "write migration: " + r.error().detail);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path,
                                                 DatabaseOptions options) {
  LevelDbOptions lo;
  lo.env = options.env;
  lo.block_cache_bytes = options.block_cache_bytes;
  auto engine = LevelDbEngine::open(path, lo);
  if (!engine)
    return engine.error();
  return open(std::move(*engine), std::move(options));
}

Result<std::unique_ptr<Database>> Database::open(std::unique_ptr<Engine> engine,
                                                 DatabaseOptions options) {
  auto stored = read_version(*engine);
  if (!stored)
    return stored.error();
  const int want = options.schema_version;
  if (!stored->has_value()) {
    if (!is_empty(*engine)) {
      return fail(Errc::failed_precondition,
                  "metadata database has no schema version: not a cairn database");
    }
    Batch batch;
    batch.put(keys::version(), std::to_string(want));
    if (auto r = engine->write(batch, /*sync=*/true); !r)
      return fail(Errc::io, "write schema version: " + r.error().detail);
  } else if (**stored > want) {
    return fail(Errc::failed_precondition, "metadata schema version " + std::to_string(**stored) +
                                               " is newer than this build supports (" +
                                               std::to_string(want) +
                                               "); use a newer cairn or restore an older database");
  } else if (**stored < want) {
    if (auto r = migrate(*engine, **stored, want, options.migrations); !r)
      return r.error();
  }

  std::unique_ptr<Database> db(new Database(std::move(engine), options.clock, want));
  db->sync_writes_ = options.sync_writes;
  db->journal_limit_ = options.journal_limit;
  db->reopen_interval_ = options.reopen_interval;
  db->reopen_drain_ = options.reopen_drain;
  return db;
}

Database::Database(std::unique_ptr<Engine> engine, const Clock* clock, int version)
    : clock_(clock), version_(version), engine_(std::move(engine)) {
  // A failure the engine finds on its own (a background compaction's write) refuses writes at
  // once. The engine is destroyed first (declared last), so it never reports to a dead Database.
  engine_->on_failure([this](Error why) { mark_failed(std::move(why)); });
}

Database::~Database() = default;

void Database::mark_failed(Error why) noexcept {
  std::lock_guard lock(failure_mutex_);
  // The first failure names the cause; a later one only replaces an unknown cause.
  if (!failed_.load() || failure_.detail.empty())
    failure_ = std::move(why);
  ++failures_;
  failed_.store(true);
}

Error Database::refusal() const {
  std::lock_guard lock(failure_mutex_);
  if (failure_.code == Errc::no_space)
    return fail(Errc::no_space, failure_.detail + "; metadata writes resume once there is room");
  // The cause's detail may name a file of the data root: keep it out of a client's answer.
  return fail(Errc::unavailable,
              "the metadata database refuses writes after a failed write (I/O error) until it "
              "has reopened; retry later");
}

Result<void> Database::recover() {
  std::unique_lock once(recover_mutex_, std::try_to_lock);
  if (!once.owns_lock())
    return refusal();  // another thread is reopening
  if (!failed_.load())
    return {};
  const auto now = std::chrono::steady_clock::now();
  if (open_failed_ && now - last_failed_open_ < reopen_interval_)
    return refusal();
  uint64_t seen = 0;
  {
    std::lock_guard lock(failure_mutex_);
    seen = failures_;
  }
  auto reopened = engine_->reopen(reopen_drain_);
  if (!reopened) {
    switch (reopened.error().code) {
      case Errc::unavailable:  // still read: the old handle stays
        return reopened.error();
      case Errc::no_space:  // no room to reopen yet: retried once there is
        return refusal();
      default:
        open_failed_ = true;
        last_failed_open_ = std::chrono::steady_clock::now();
        mark_failed(std::move(reopened).error());
        return refusal();
    }
  }
  open_failed_ = false;
  std::lock_guard lock(failure_mutex_);
  if (failures_ != seen)
    return refusal();  // a write failed while it reopened: the next one reopens again
  failed_.store(false);
  return {};
}

Result<void> Database::check_writable() {
  if (failed_.load())
    return recover();
  if (auto r = engine_->probe(); !r) {
    if (r.error().code == Errc::unavailable)
      return r;  // reopening: nothing was tried
    mark_failed(std::move(r).error());
    return refusal();
  }
  return {};
}

Result<std::optional<std::string>> Database::get(std::string_view key) const {
  return engine_->get(key);
}

Result<void> Database::scan(std::string_view prefix, std::string_view start,
                            const ScanFn& fn) const {
  auto it = engine_->cursor();
  it->seek(start.empty() || start < prefix ? prefix : start);
  for (; it->valid(); it->next()) {
    std::string_view key = it->key();
    if (!key.starts_with(prefix))
      break;
    if (!fn(key, it->value()))
      break;
  }
  if (auto st = it->status(); !st)
    return fail(st.error().code, "scan metadata: " + st.error().detail);
  return {};
}

std::unique_ptr<Cursor> Database::cursor() const {
  return engine_->cursor();
}

namespace {

// FNV-1a: the same key hashes the same in every process and every build, as the engine's key
// locks across processes need.
uint64_t key_hash(std::string_view key) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

Database::Update Database::begin(std::initializer_list<std::string_view> lock_keys) {
  std::vector<uint64_t> hashes;
  hashes.reserve(lock_keys.size());
  for (std::string_view k : lock_keys)
    hashes.push_back(key_hash(k));
  return Update(*this, std::move(hashes));
}

Database::Update Database::begin(std::span<const std::string> lock_keys) {
  std::vector<uint64_t> hashes;
  hashes.reserve(lock_keys.size());
  for (const std::string& k : lock_keys)
    hashes.push_back(key_hash(k));
  return Update(*this, std::move(hashes));
}

void Database::on_mutation(std::function<void(bool dirty)> fn) {
  std::unique_lock lock(callbacks_mutex_);
  callbacks_.push_back(std::move(fn));
}

Result<FleetLock::Held> Database::lock_exclusive() {
  return wlock_.lock();
}

Result<void> Database::remove_exclusive(const FleetLock::Held& held,
                                        std::span<const std::string> keys) {
  if (!held.holds_exclusive(wlock_))
    return fail(Errc::failed_precondition, "remove_exclusive without this database's wlock");
  if (keys.empty())
    return {};
  Batch batch;
  for (const std::string& k : keys)
    batch.remove(k);
  return write(batch);
}

Result<void> Database::start_journal(const FleetLock::Held& held) {
  if (!held.holds_exclusive(wlock_))
    return fail(Errc::failed_precondition, "start_journal without this database's wlock");
  std::string mark;
  if (engine_->shared()) {
    // No write is in flight in any process (wlock held in the engine too): every later one
    // is after the mark.
    auto m = engine_->journal_mark();
    if (!m)
      return fail(m.error().code, "start the metadata journal: " + m.error().detail);
    mark = std::move(*m);
  }
  std::lock_guard lock(journal_mutex_);
  journal_ = Journal{};
  journal_mark_ = std::move(mark);
  journal_on_.store(true);
  return {};
}

Database::Journal Database::take_journal() {
  std::lock_guard lock(journal_mutex_);
  Journal out = std::move(journal_);
  journal_ = Journal{};
  if (engine_->shared() && journal_on_.load() && !out.overflowed) {
    // What every process wrote since the last take (this one's writes again, harmlessly).
    // Removals are not listed: a removed key needs no re-mark, and dirty() is always true here.
    // Unknown changes count as too many: GC then collects nothing it cannot prove dead.
    auto changes = engine_->changed_since(journal_mark_, journal_limit_);
    if (!changes || changes->overflowed ||
        out.keys.size() + changes->keys.size() > journal_limit_) {
      out.overflowed = true;
      out.keys.clear();
    } else {
      out.keys.insert(out.keys.end(), std::make_move_iterator(changes->keys.begin()),
                      std::make_move_iterator(changes->keys.end()));
    }
  }
  return out;
}

void Database::stop_journal() {
  std::lock_guard lock(journal_mutex_);
  journal_on_.store(false);
  journal_ = Journal{};
}

void Database::journal(const Batch& batch, bool dirty) {
  std::lock_guard lock(journal_mutex_);
  if (!journal_on_.load())
    return;
  journal_.dirty = journal_.dirty || dirty;
  const auto& ops = batch.ops();
  if (journal_.overflowed || journal_.keys.size() + ops.size() > journal_limit_) {
    journal_.overflowed = true;
    journal_.keys.clear();
    return;
  }
  for (const auto& op : ops)
    journal_.keys.push_back(op.key);
}

// After a failed write nothing is written until recover() reopened the engine; a write that
// overlapped a failure is reported failed even when the engine took it (its outcome is unknown
// to the caller either way, and it must never be acknowledged on a handle that failed).
Result<void> Database::write(const Batch& batch, bool sync, Transaction* txn) {
  if (failed_.load()) {
    if (auto r = recover(); !r)
      return r;
  }
  const bool synced = sync_writes_ && sync;
  const auto started = std::chrono::steady_clock::now();
  auto written = txn != nullptr ? txn->commit(batch, synced) : engine_->write(batch, synced);
  std::shared_ptr<const WriteObserver> observer;
  {
    std::shared_lock lock(callbacks_mutex_);
    observer = write_observer_;
  }
  if (observer)
    (*observer)(std::chrono::steady_clock::now() - started, synced, written.has_value());
  if (!written) {
    if (written.error().code == Errc::unavailable)
      return refusal();  // reopening: nothing was tried
    mark_failed(written.error());
    return std::move(written).error();
  }
  if (failed_.load())
    return refusal();
  return {};
}

void Database::set_write_observer(WriteObserver fn) {
  auto observer = fn ? std::make_shared<const WriteObserver>(std::move(fn)) : nullptr;
  std::unique_lock lock(callbacks_mutex_);
  write_observer_ = std::move(observer);
}

void Database::notify() {
  const bool is_dirty = dirty();
  std::shared_lock lock(callbacks_mutex_);
  for (const auto& fn : callbacks_)
    fn(is_dirty);
}

// --- Update ---

Database::Update::Update(Database& db, std::vector<uint64_t> hashes)
    : db_(&db), wlock_(db.wlock_.local()) {
  // Sorted, distinct: every Update locks stripes (and, shared, the engine's key locks) in the
  // same order.
  std::vector<size_t> stripes;
  stripes.reserve(hashes.size());
  for (uint64_t h : hashes)
    stripes.push_back(static_cast<size_t>(h % kStripes));
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  locks_.reserve(stripes.size());
  for (size_t s : stripes)
    locks_.emplace_back(db.stripes_[s]);
  if (db.engine_->shared()) {
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    auto txn = db.engine_->begin_update(db.wlock_.name(), hashes);
    if (txn)
      txn_ = std::move(*txn);
    else
      failed_ = std::move(txn).error();
  }
}

Database::Update::Update(Update&&) noexcept = default;
Database::Update::~Update() = default;

Result<std::optional<std::string>> Database::Update::get(std::string_view key) const {
  if (failed_)
    return *failed_;
  // In the transaction: what other processes committed before its locks were granted.
  if (txn_)
    return txn_->get(key);
  return db_->get(key);
}

void Database::Update::put(std::string_view key, std::string_view value) {
  batch_.put(key, value);
}

void Database::Update::remove(std::string_view key) {
  batch_.remove(key);
}

Result<void> Database::Update::commit() {
  if (done_)
    return fail(Errc::internal, "metadata update committed twice");
  done_ = true;
  if (failed_)
    return *failed_;
  const bool wrote = !empty();
  if (wrote) {
    if (auto r = db_->write(batch_, sync_, txn_.get()); !r)
      return r;
    if (dirty_)
      db_->dirty_.fetch_add(1);
    // Still under wlock shared: GC, once it holds wlock exclusively, sees this change journaled.
    if (db_->journal_on_.load())
      db_->journal(batch_, dirty_);
  }
  txn_.reset();  // an empty one writes nothing and releases its locks
  locks_.clear();
  wlock_.unlock();
  if (wrote)
    db_->notify();
  return {};
}

}  // namespace cairn::metadata
