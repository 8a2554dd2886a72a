#include "storage/metadata/db.h"

#include "storage/metadata/keys.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <charconv>

namespace cairn::metadata {

struct Database::Private {
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<leveldb::DB> db;  // declared last: destroyed first

  ~Private() { db.reset(); }
};

namespace {

Error leveldb_error(std::string_view context, const leveldb::Status& s) {
  return fail(Errc::io, std::string(context) + ": " + s.ToString());
}

leveldb::Slice slice(std::string_view s) {
  return leveldb::Slice(s.data(), s.size());
}

Result<std::optional<int>> read_version(leveldb::DB& db) {
  std::string value;
  leveldb::Status s = db.Get(leveldb::ReadOptions(), keys::version(), &value);
  if (s.IsNotFound())
    return std::optional<int>();
  if (!s.ok())
    return leveldb_error("read schema version", s);
  int v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < 0) {
    return fail(Errc::internal, "corrupt schema version");
  }
  return std::optional<int>(v);
}

bool is_empty(leveldb::DB& db) {
  std::unique_ptr<leveldb::Iterator> it(db.NewIterator(leveldb::ReadOptions()));
  it->SeekToFirst();
  return !it->Valid();
}

// Brings the database from `from` to `to`, one version per batch.
Result<void> migrate(leveldb::DB& db, int from, int to, const std::vector<Migration>& migrations,
                     bool sync) {
  for (int v = from; v < to; ++v) {
    auto it = std::find_if(migrations.begin(), migrations.end(),
                           [v](const Migration& m) { return m.from == v; });
    if (it == migrations.end() || !it->run) {
      return fail(Errc::failed_precondition,
                  "no migration from metadata schema version " + std::to_string(v));
    }
    leveldb::WriteBatch batch;
    if (auto r = it->run(db, batch); !r) {
      return fail(Errc::internal, "migration " + it->name + " (from version " + std::to_string(v) +
                                      ") failed: " + r.error().detail);
    }
    batch.Put(keys::version(), std::to_string(v + 1));
    leveldb::WriteOptions wo;
    wo.sync = sync;
    if (auto s = db.Write(wo, &batch); !s.ok())
      return leveldb_error("write migration", s);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path,
                                                 DatabaseOptions options) {
  auto priv = std::make_unique<Private>();
  leveldb::Options lo;
  lo.create_if_missing = true;
  if (options.env != nullptr)
    lo.env = options.env;
  if (options.block_cache_bytes > 0) {
    priv->cache.reset(leveldb::NewLRUCache(options.block_cache_bytes));
    lo.block_cache = priv->cache.get();
  }
  priv->filter.reset(leveldb::NewBloomFilterPolicy(10));
  lo.filter_policy = priv->filter.get();

  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return io_error("create metadata directory", ec.value());

  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(lo, path.string(), &raw);
  if (!s.ok())
    return leveldb_error("open metadata database", s);
  priv->db.reset(raw);

  auto stored = read_version(*raw);
  if (!stored)
    return stored.error();
  const int want = options.schema_version;
  int version = want;
  if (!stored->has_value()) {
    if (!is_empty(*raw)) {
      return fail(Errc::failed_precondition,
                  "metadata database has no schema version: not a cairn database");
    }
    leveldb::WriteOptions wo;
    wo.sync = true;
    if (auto ws = raw->Put(wo, keys::version(), std::to_string(want)); !ws.ok()) {
      return leveldb_error("write schema version", ws);
    }
  } else if (**stored > want) {
    return fail(Errc::failed_precondition, "metadata schema version " + std::to_string(**stored) +
                                               " is newer than this build supports (" +
                                               std::to_string(want) +
                                               "); use a newer cairn or restore an older database");
  } else if (**stored < want) {
    if (auto r = migrate(*raw, **stored, want, options.migrations, /*sync=*/true); !r) {
      return r.error();
    }
  }

  std::unique_ptr<Database> db(new Database(std::move(priv), options.clock, version));
  db->sync_writes_ = options.sync_writes;
  db->journal_limit_ = options.journal_limit;
  return db;
}

Database::Database(std::unique_ptr<Private> priv, const Clock* clock, int version)
    : priv_(std::move(priv)), db_(priv_->db.get()), clock_(clock), version_(version) {}

Database::~Database() = default;

Result<std::optional<std::string>> Database::get(std::string_view key) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), slice(key), &value);
  if (s.IsNotFound())
    return std::optional<std::string>();
  if (!s.ok())
    return leveldb_error("read metadata", s);
  return std::optional<std::string>(std::move(value));
}

Result<void> Database::scan(std::string_view prefix, std::string_view start,
                            const ScanFn& fn) const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  it->Seek(slice(start.empty() || start < prefix ? prefix : start));
  for (; it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    std::string_view key(k.data(), k.size());
    if (!key.starts_with(prefix))
      break;
    leveldb::Slice v = it->value();
    if (!fn(key, std::string_view(v.data(), v.size())))
      break;
  }
  if (!it->status().ok())
    return leveldb_error("scan metadata", it->status());
  return {};
}

std::unique_ptr<leveldb::Iterator> Database::new_iterator() const {
  return std::unique_ptr<leveldb::Iterator>(db_->NewIterator(leveldb::ReadOptions()));
}

Database::Update Database::begin(std::initializer_list<std::string_view> lock_keys) {
  std::vector<size_t> stripes;
  stripes.reserve(lock_keys.size());
  for (std::string_view k : lock_keys)
    stripes.push_back(std::hash<std::string_view>{}(k) % kStripes);
  return Update(*this, std::move(stripes));
}

Database::Update Database::begin(std::span<const std::string> lock_keys) {
  std::vector<size_t> stripes;
  stripes.reserve(lock_keys.size());
  for (const std::string& k : lock_keys) {
    stripes.push_back(std::hash<std::string_view>{}(k) % kStripes);
  }
  return Update(*this, std::move(stripes));
}

void Database::on_mutation(std::function<void(bool dirty)> fn) {
  std::unique_lock lock(callbacks_mutex_);
  callbacks_.push_back(std::move(fn));
}

std::unique_lock<std::shared_mutex> Database::lock_exclusive() {
  return std::unique_lock<std::shared_mutex>(wlock_);
}

Result<void> Database::remove_exclusive(const std::unique_lock<std::shared_mutex>& held,
                                        std::span<const std::string> keys) {
  if (!held.owns_lock() || held.mutex() != &wlock_)
    return fail(Errc::failed_precondition, "remove_exclusive without this database's wlock");
  if (keys.empty())
    return {};
  leveldb::WriteBatch batch;
  for (const std::string& k : keys)
    batch.Delete(slice(k));
  return write(batch);
}

Result<void> Database::start_journal(const std::unique_lock<std::shared_mutex>& held) {
  if (!held.owns_lock() || held.mutex() != &wlock_)
    return fail(Errc::failed_precondition, "start_journal without this database's wlock");
  std::lock_guard lock(journal_mutex_);
  journal_ = Journal{};
  journal_on_.store(true);
  return {};
}

Database::Journal Database::take_journal() {
  std::lock_guard lock(journal_mutex_);
  Journal out = std::move(journal_);
  journal_ = Journal{};
  return out;
}

void Database::stop_journal() {
  std::lock_guard lock(journal_mutex_);
  journal_on_.store(false);
  journal_ = Journal{};
}

void Database::journal(const leveldb::WriteBatch& batch, bool dirty) {
  struct Keys final : leveldb::WriteBatch::Handler {
    std::vector<std::string> keys;
    void Put(const leveldb::Slice& k, const leveldb::Slice&) override {
      keys.emplace_back(k.data(), k.size());
    }
    void Delete(const leveldb::Slice& k) override { keys.emplace_back(k.data(), k.size()); }
  } handler;
  (void)batch.Iterate(&handler);
  std::lock_guard lock(journal_mutex_);
  if (!journal_on_.load())
    return;
  journal_.dirty = journal_.dirty || dirty;
  if (journal_.overflowed || journal_.keys.size() + handler.keys.size() > journal_limit_) {
    journal_.overflowed = true;
    journal_.keys.clear();
    return;
  }
  for (std::string& k : handler.keys)
    journal_.keys.push_back(std::move(k));
}

Result<void> Database::write(leveldb::WriteBatch& batch, bool sync) {
  leveldb::WriteOptions wo;
  wo.sync = sync_writes_ && sync;
  leveldb::Status s = db_->Write(wo, &batch);
  if (!s.ok())
    return leveldb_error("write metadata", s);
  return {};
}

void Database::notify() {
  const bool is_dirty = dirty();
  std::shared_lock lock(callbacks_mutex_);
  for (const auto& fn : callbacks_)
    fn(is_dirty);
}

// --- Update ---

Database::Update::Update(Database& db, std::vector<size_t> stripes)
    : db_(&db), wlock_(db.wlock_), batch_(std::make_unique<leveldb::WriteBatch>()) {
  // Sorted, distinct: every Update locks stripes in the same order.
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  locks_.reserve(stripes.size());
  for (size_t s : stripes)
    locks_.emplace_back(db.stripes_[s]);
}

Database::Update::Update(Update&&) noexcept = default;
Database::Update::~Update() = default;

Result<std::optional<std::string>> Database::Update::get(std::string_view key) const {
  return db_->get(key);
}

void Database::Update::put(std::string_view key, std::string_view value) {
  batch_->Put(slice(key), slice(value));
  ++ops_;
}

void Database::Update::remove(std::string_view key) {
  batch_->Delete(slice(key));
  ++ops_;
}

bool Database::Update::empty() const noexcept {
  return ops_ == 0;
}

Result<void> Database::Update::commit() {
  if (done_)
    return fail(Errc::internal, "metadata update committed twice");
  done_ = true;
  const bool wrote = !empty();
  if (wrote) {
    if (auto r = db_->write(*batch_, sync_); !r)
      return r;
    if (dirty_)
      db_->dirty_.fetch_add(1);
    // Still under wlock shared: GC, once it holds wlock exclusively, sees this change journaled.
    if (db_->journal_on_.load())
      db_->journal(*batch_, dirty_);
  }
  locks_.clear();
  wlock_.unlock();
  if (wrote)
    db_->notify();
  return {};
}

}  // namespace cairn::metadata
