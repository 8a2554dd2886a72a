#include "storage/metadata/leveldb_engine.h"

#include "storage/metadata/error_cursor.h"

#include "storage/metadata/sticky_env.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <sys/statvfs.h>

#include <thread>

namespace cairn::metadata {

// What every LevelDB handle of this engine shares; outlives them all.
struct LevelDbEngine::Private {
  std::filesystem::path path;
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<StickyErrorEnv> env;
  leveldb::Options options;
  std::mutex failure_mutex;
  FailureFn on_failure;  // guarded by failure_mutex
};

// One open LevelDB. Shared by the engine and the cursors it handed out.
struct LevelDbEngine::Handle {
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

Error reopening() {
  return fail(Errc::unavailable, "the metadata database is reopening; retry later");
}

leveldb::Slice slice(std::string_view s) {
  return leveldb::Slice(s.data(), s.size());
}

std::string_view view(const leveldb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

// A cursor over one LevelDB iterator (its implicit snapshot), keeping its handle open.
class LevelDbCursor final : public Cursor {
 public:
  LevelDbCursor(std::shared_ptr<void> handle, leveldb::Iterator* it)
      : handle_(std::move(handle)), it_(it) {}
  void seek(std::string_view target) override { it_->Seek(slice(target)); }
  bool valid() const override { return it_->Valid(); }
  void next() override { it_->Next(); }
  std::string_view key() const override { return view(it_->key()); }
  std::string_view value() const override { return view(it_->value()); }
  Result<void> status() const override {
    if (auto s = it_->status(); !s.ok())
      return leveldb_error("read metadata", s);
    return {};
  }

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

}  // namespace

Result<std::unique_ptr<LevelDbEngine>> LevelDbEngine::open(const std::filesystem::path& path,
                                                           LevelDbOptions options) {
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
  // the failure is reported at once, even from a background compaction.
  priv->env = std::make_unique<StickyErrorEnv>(lo.env != nullptr ? lo.env : leveldb::Env::Default(),
                                               [p = priv.get()](const leveldb::Status& s) {
                                                 std::lock_guard lock(p->failure_mutex);
                                                 if (p->on_failure)
                                                   p->on_failure(write_error("write metadata", s));
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
  return std::unique_ptr<LevelDbEngine>(new LevelDbEngine(std::move(priv), std::move(handle)));
}

LevelDbEngine::LevelDbEngine(std::unique_ptr<Private> priv, std::shared_ptr<Handle> handle)
    : priv_(std::move(priv)), handle_(std::move(handle)) {}

LevelDbEngine::~LevelDbEngine() {
  // Close LevelDB (waiting for its compaction thread) before the Env its callback reaches the
  // failure function through goes.
  std::unique_lock lock(handle_mutex_);
  handle_.reset();
}

void LevelDbEngine::on_failure(FailureFn fn) {
  std::lock_guard lock(priv_->failure_mutex);
  priv_->on_failure = std::move(fn);
}

leveldb::DB& LevelDbEngine::leveldb() noexcept {
  return *handle()->db;
}

std::shared_ptr<LevelDbEngine::Handle> LevelDbEngine::handle() const {
  std::shared_lock lock(handle_mutex_);
  return handle_;
}

Result<std::optional<std::string>> LevelDbEngine::get(std::string_view key) const {
  auto h = handle();
  if (!h)
    return reopening();
  std::string value;
  leveldb::Status s = h->db->Get(leveldb::ReadOptions(), slice(key), &value);
  if (s.IsNotFound())
    return std::optional<std::string>();
  if (!s.ok())
    return leveldb_error("read metadata", s);
  return std::optional<std::string>(std::move(value));
}

std::unique_ptr<Cursor> LevelDbEngine::cursor() const {
  auto h = handle();
  if (!h)
    return std::make_unique<ErrorCursor>(reopening());
  leveldb::Iterator* it = h->db->NewIterator(leveldb::ReadOptions());
  return std::make_unique<LevelDbCursor>(std::move(h), it);
}

Result<void> LevelDbEngine::write(const Batch& batch, bool sync) {
  auto h = handle();
  if (!h)
    return reopening();
  leveldb::WriteBatch wb;
  for (const auto& op : batch.ops()) {
    if (op.value)
      wb.Put(slice(op.key), slice(*op.value));
    else
      wb.Delete(slice(op.key));
  }
  leveldb::WriteOptions wo;
  wo.sync = sync;  // the fsync of LevelDB's log that makes the batch durable
  if (leveldb::Status s = h->db->Write(wo, &wb); !s.ok())
    return write_error("write metadata", s);
  return {};
}

Result<void> LevelDbEngine::probe() {
  auto h = handle();
  if (!h)
    return reopening();
  // An empty batch changes nothing but goes through LevelDB's write path, which answers a
  // pending background error (e.g. of a compaction that failed on corruption).
  leveldb::WriteBatch empty;
  if (leveldb::Status s = h->db->Write(leveldb::WriteOptions(), &empty); !s.ok())
    return write_error("probe metadata database", s);
  return {};
}

bool LevelDbEngine::room_to_reopen() const {
  struct statvfs st {};
  if (::statvfs(priv_->path.c_str(), &st) != 0)
    return true;  // cannot tell: let the open find out
  const uint64_t avail = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  // Recovery writes the logs out as a table, a new MANIFEST and a new log.
  return avail >= log_bytes(priv_->path) + (uint64_t{1} << 20);
}

Result<void> LevelDbEngine::reopen(std::chrono::milliseconds drain) {
  if (!room_to_reopen()) {
    return fail(Errc::no_space,
                "the metadata database's filesystem has no room to reopen it; it reopens once "
                "there is");
  }
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (true) {
    {
      std::unique_lock lock(handle_mutex_);
      // Only when no cursor, reader or writer holds the old handle: LevelDB's directory lock
      // allows one open handle, so the old one must close before the new one opens.
      if (handle_.use_count() <= 1) {
        handle_.reset();  // closes LevelDB (after its compaction thread stops)
        leveldb::DB* raw = nullptr;
        leveldb::Status s = leveldb::DB::Open(priv_->options, priv_->path.string(), &raw);
        if (!s.ok())
          return write_error("reopen metadata database", s);
        handle_ = std::make_shared<Handle>();
        handle_->db.reset(raw);
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

}  // namespace cairn::metadata
