#include "storage/metadata/db.h"

#include "storage/metadata/keys.h"
#include "storage/metadata/sticky_env.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace cairn::metadata {

// What every LevelDB handle of this database shares; outlives them all.
struct Database::Private {
  std::filesystem::path path;
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<StickyErrorEnv> env;
  leveldb::Options options;
  std::atomic<Database*> owner{nullptr};  // set once the Database exists
};

// One open LevelDB. Shared by the Database and the iterators it handed out.
struct Database::Handle {
  std::unique_ptr<leveldb::DB> db;
};

namespace {

Error leveldb_error(std::string_view context, const leveldb::Status& s) {
  return fail(Errc::io, std::string(context) + ": " + s.ToString());
}

// A failed LevelDB write as an Error: no_space when the filesystem is full (the detail then
// names no file), else io.
Error write_error(std::string_view context, const leveldb::Status& s) {
  const std::string text = s.ToString();
  for (std::string_view full : {"No space left on device", "Disk quota exceeded"}) {
    if (text.find(full) != std::string::npos) {
      return fail(Errc::no_space, std::string(context) +
                                      ": the metadata database's filesystem is full (" +
                                      std::string(full) + ")");
    }
  }
  return leveldb_error(context, s);
}

// An iterator that keeps its LevelDB handle open.
class HandleIterator final : public leveldb::Iterator {
 public:
  HandleIterator(std::shared_ptr<void> handle, leveldb::Iterator* it)
      : handle_(std::move(handle)), it_(it) {}
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(const leveldb::Slice& target) override { it_->Seek(target); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  leveldb::Slice key() const override { return it_->key(); }
  leveldb::Slice value() const override { return it_->value(); }
  leveldb::Status status() const override { return it_->status(); }

 private:
  std::shared_ptr<void> handle_;  // declared first: released after the iterator
  std::unique_ptr<leveldb::Iterator> it_;
};

// The bytes of LevelDB's write-ahead logs in `dir`: what recovery writes out again.
uint64_t log_bytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".log") {
      std::error_code size_ec;
      const auto n = e.file_size(size_ec);
      if (!size_ec)
        total += n;
    }
  }
  return total;
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
  priv->path = path;
  leveldb::Options& lo = priv->options;
  lo.create_if_missing = true;
  if (options.env != nullptr)
    lo.env = options.env;
  if (options.block_cache_bytes > 0) {
    priv->cache.reset(leveldb::NewLRUCache(options.block_cache_bytes));
    lo.block_cache = priv->cache.get();
  }
  priv->filter.reset(leveldb::NewBloomFilterPolicy(10));
  lo.filter_policy = priv->filter.get();
  // Every file LevelDB writes fails for good after its first failed write (sticky_env.h), and
  // the failure marks the Database failed at once, even from a background compaction.
  priv->env = std::make_unique<StickyErrorEnv>(lo.env != nullptr ? lo.env : leveldb::Env::Default(),
                                               [p = priv.get()](const leveldb::Status& s) {
                                                 if (Database* d = p->owner.load())
                                                   d->mark_failed(write_error("write metadata", s));
                                               });
  lo.env = priv->env.get();

  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return io_error("create metadata directory", ec.value());

  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(lo, path.string(), &raw);
  if (!s.ok())
    return leveldb_error("open metadata database", s);
  auto handle = std::make_shared<Handle>();
  handle->db.reset(raw);

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

  std::unique_ptr<Database> db(
      new Database(std::move(priv), std::move(handle), options.clock, version));
  db->sync_writes_ = options.sync_writes;
  db->journal_limit_ = options.journal_limit;
  db->reopen_interval_ = options.reopen_interval;
  db->reopen_drain_ = options.reopen_drain;
  return db;
}

Database::Database(std::unique_ptr<Private> priv, std::shared_ptr<Handle> handle,
                   const Clock* clock, int version)
    : priv_(std::move(priv)), clock_(clock), version_(version), handle_(std::move(handle)) {
  priv_->owner.store(this);
}

Database::~Database() {
  // Close LevelDB (waiting for its compaction thread) before the Env its callback reaches us
  // through goes.
  std::unique_lock lock(handle_mutex_);
  handle_.reset();
  priv_->owner.store(nullptr);
}

leveldb::DB& Database::leveldb() noexcept {
  return *handle()->db;
}

std::shared_ptr<Database::Handle> Database::handle() const {
  std::shared_lock lock(handle_mutex_);
  return handle_;
}

void Database::mark_failed(Error why) noexcept {
  std::lock_guard lock(failure_mutex_);
  // The first failure names the cause; a later one only replaces an unknown cause.
  if (!failed_.load() || failure_.detail.empty())
    failure_ = std::move(why);
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

bool Database::room_to_reopen() const {
  struct statvfs st {};
  if (::statvfs(priv_->path.c_str(), &st) != 0)
    return true;  // cannot tell: let the open find out
  const uint64_t avail = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  // Recovery writes the logs out as a table, a new MANIFEST and a new log.
  return avail >= log_bytes(priv_->path) + (uint64_t{1} << 20);
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
  if (!room_to_reopen())
    return refusal();
  const auto deadline = now + reopen_drain_;
  while (true) {
    {
      std::unique_lock lock(handle_mutex_);
      // Only when no reader or writer holds the old handle: LevelDB's directory lock allows
      // one open handle, so the old one must close before the new one opens.
      if (handle_.use_count() <= 1) {
        handle_.reset();  // closes LevelDB (after its compaction thread stops)
        // Cleared before the open: a failure during it sets it again.
        failed_.store(false);
        leveldb::DB* raw = nullptr;
        leveldb::Status s = leveldb::DB::Open(priv_->options, priv_->path.string(), &raw);
        if (!s.ok()) {
          open_failed_ = true;
          last_failed_open_ = std::chrono::steady_clock::now();
          mark_failed(write_error("reopen metadata database", s));
          return refusal();
        }
        open_failed_ = false;
        handle_ = std::make_shared<Handle>();
        handle_->db.reset(raw);
        if (failed_.load())
          return refusal();  // a write failed while it opened
        return {};
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Errc::unavailable,
                  "the metadata database refuses writes until it has reopened, which waits for "
                  "its readers; retry later");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Result<void> Database::check_writable() {
  if (failed_.load())
    return recover();
  auto h = handle();
  if (!h)
    return recover();
  // An empty batch changes nothing but goes through LevelDB's write path, which answers a
  // pending background error (e.g. of a compaction that failed on corruption).
  leveldb::WriteBatch empty;
  leveldb::Status s = h->db->Write(leveldb::WriteOptions(), &empty);
  if (!s.ok()) {
    mark_failed(write_error("probe metadata database", s));
    return refusal();
  }
  return {};
}

Result<std::optional<std::string>> Database::get(std::string_view key) const {
  auto h = handle();
  if (!h)
    return fail(Errc::unavailable, "the metadata database is reopening; retry later");
  std::string value;
  leveldb::Status s = h->db->Get(leveldb::ReadOptions(), slice(key), &value);
  if (s.IsNotFound())
    return std::optional<std::string>();
  if (!s.ok())
    return leveldb_error("read metadata", s);
  return std::optional<std::string>(std::move(value));
}

Result<void> Database::scan(std::string_view prefix, std::string_view start,
                            const ScanFn& fn) const {
  auto h = handle();
  if (!h)
    return fail(Errc::unavailable, "the metadata database is reopening; retry later");
  std::unique_ptr<leveldb::Iterator> it(h->db->NewIterator(leveldb::ReadOptions()));
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
  auto h = handle();
  if (!h) {
    return std::unique_ptr<leveldb::Iterator>(leveldb::NewErrorIterator(
        leveldb::Status::IOError("the metadata database is reopening; retry later")));
  }
  leveldb::Iterator* it = h->db->NewIterator(leveldb::ReadOptions());
  return std::make_unique<HandleIterator>(std::move(h), it);
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

// After a failed write nothing is written until recover() reopened LevelDB; a write that
// overlapped a failure is reported failed even when LevelDB took it (its outcome is unknown to
// the caller either way, and it must never be acknowledged on a handle that failed).
Result<void> Database::write(leveldb::WriteBatch& batch, bool sync) {
  if (failed_.load()) {
    if (auto r = recover(); !r)
      return r;
  }
  auto h = handle();
  if (!h)
    return refusal();
  leveldb::WriteOptions wo;
  wo.sync = sync_writes_ && sync;
  const auto started = std::chrono::steady_clock::now();
  leveldb::Status s = h->db->Write(wo, &batch);
  std::shared_ptr<const WriteObserver> observer;
  {
    std::shared_lock lock(callbacks_mutex_);
    observer = write_observer_;
  }
  if (observer)
    (*observer)(std::chrono::steady_clock::now() - started, wo.sync, s.ok());
  if (!s.ok()) {
    Error e = write_error("write metadata", s);
    mark_failed(e);
    return e;
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
