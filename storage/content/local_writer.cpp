#include "storage/content/local_writer.h"

#include "storage/content/file_util.h"
#include "storage/content/labels.h"
#include "storage/content/local_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

namespace cairn::content {
namespace fu = file_util;
namespace {

constexpr size_t kRehashChunk = 1 << 20;
constexpr auto kUpdatedAtPersistEvery = std::chrono::seconds(1);
// Pieces at least this large are hashed on another thread while they are written, when the
// store has one to offer (LocalStore::set_off_thread). Below, handing over costs more than it
// saves.
constexpr size_t kOffThreadHashMin = 128 << 10;

// Hashes the first `length` bytes of `fd` with `alg`.
Result<Hasher> hash_prefix(FileSystem& fs, int fd, int64_t length, Algorithm alg) {
  Hasher h(alg);
  std::vector<std::byte> buf(kRehashChunk);
  int64_t off = 0;
  while (off < length) {
    size_t want = static_cast<size_t>(std::min<int64_t>(length - off, kRehashChunk));
    auto n = fu::pread_full(fs, fd, std::span(buf.data(), want), off, "re-hash ingest data");
    if (!n)
      return n.error();
    if (*n != want)
      return fail(Errc::io, "ingest data shrank while re-hashing");
    h.update(std::span<const std::byte>(buf.data(), want));
    off += static_cast<int64_t>(want);
  }
  return h;
}

bool file_exists(FileSystem& fs, const std::filesystem::path& p) {
  struct stat st {};
  return fs.stat(p.c_str(), &st) == 0;
}

struct WriterState {
  std::string ref;
  std::filesystem::path dir;
  fu::UniqueFd fd;
  Hasher hasher;
  int64_t offset = 0;
  int64_t total = 0;
  std::optional<Digest> expected;
  Timestamp started_at{};
  Timestamp updated_at{};
  bool keep_pages = false;
};

class LocalWriter final : public Writer {
 public:
  LocalWriter(std::shared_ptr<LocalCore> core, RefLocks::Guard guard, WriterState state)
      : core_(std::move(core)), guard_(std::move(guard)), s_(std::move(state)) {
    persisted_updated_at_ = s_.updated_at;
    data_path_ = LocalCore::ingest_file(s_.dir, kDataFile);
    writeback_start_ = s_.offset;
    handed_until_ = s_.offset;
    publish();
  }

  ~LocalWriter() override {
    if (committed_)
      return;
    // Closing without commit keeps the ingest; make its updated time current for status().
    if (s_.updated_at != persisted_updated_at_)
      persist_updated_at();
    if (!broken_ && s_.fd)
      core_->written_pages.add(data_path_, handed_until_, s_.offset - handed_until_);
  }

  Result<void> write(std::span<const std::byte> data) override {
    if (auto r = check_open(); !r)
      return r;
    if (data.empty())
      return {};
    // A large piece is hashed on another thread while it is written here (the two take about
    // as long), or here after the write when no other thread picks the hashing up first.
    // However this scope is left (an exception included), the hashing is over first: a job run
    // later finds itself claimed and touches neither `data` nor this writer.
    struct Hashed {
      std::shared_ptr<SharedJob> job;
      void wait() {
        if (job)
          job->finish();
      }
      ~Hashed() { wait(); }
    } hashed;
    std::optional<Hasher> before;
    if (data.size() >= kOffThreadHashMin) {
      if (auto run = core_->off_thread()) {
        before = s_.hasher.clone();
        hashed.job = std::make_shared<SharedJob>([this, data] { s_.hasher.update(data); });
        (*run)([job = hashed.job] { job->run_if_unclaimed(); });
      }
    }
    auto wrote = fu::write_all(core_->fs, s_.fd.get(), data, "write ingest data");
    hashed.wait();
    if (!wrote) {
      // Cut off whatever part did land, so the file and the running digest agree again.
      if (before)
        s_.hasher = std::move(*before);
      if (core_->fs.ftruncate(s_.fd.get(), s_.offset) != 0)
        broken_ = true;
      return wrote;
    }
    if (!hashed.job)
      s_.hasher.update(data);
    s_.offset += static_cast<int64_t>(data.size());
    touch(false);
    start_writeback();
    return {};
  }

  Digest digest() const override { return s_.hasher.digest(); }
  Result<std::unique_ptr<ReaderAt>> reader() const override {
    if (committed_)
      return fail(Errc::failed_precondition, "writer already committed");
    auto fd = fu::open_file(core_->fs, data_path_, O_RDONLY, 0, "open ingest data for reading");
    if (!fd)
      return fd.error();
    return std::unique_ptr<ReaderAt>(
        std::make_unique<LocalReader>(core_->fs, std::move(*fd), s_.offset));
  }

  Result<Status> status() const override {
    return Status{s_.ref, s_.offset, s_.total, s_.expected, s_.started_at, s_.updated_at};
  }

  Result<void> truncate(int64_t size) override {
    if (committed_)
      return fail(Errc::failed_precondition, "writer already committed");
    if (size < 0 || size > s_.offset) {
      return fail(Errc::range_invalid, "truncate to " + std::to_string(size) + " outside 0.." +
                                           std::to_string(s_.offset));
    }
    if (core_->fs.ftruncate(s_.fd.get(), size) != 0)
      return io_error("truncate ingest data");
    if (size == 0) {
      s_.hasher.reset();
    } else {
      auto h = hash_prefix(core_->fs, s_.fd.get(), size, s_.hasher.algorithm());
      if (!h) {
        broken_ = true;
        return h.error();
      }
      s_.hasher = std::move(*h);
    }
    broken_ = false;  // the file is exactly `size` bytes and the digest covers them
    s_.offset = size;
    writeback_start_ = std::min(writeback_start_, size);
    handed_until_ = std::min(handed_until_, size);
    touch(true);
    return {};
  }

  Result<void> commit(int64_t size, const std::optional<Digest>& expected,
                      const Labels& labels) override {
    if (auto r = check_open(); !r)
      return r;
    if (auto r = validate_labels(labels); !r)
      return r;
    if (size < 0)
      return fail(Errc::invalid_argument, "negative commit size");
    if (size > 0 && size != s_.offset) {
      return fail(Errc::size_mismatch,
                  "expected " + std::to_string(size) + " bytes, have " + std::to_string(s_.offset));
    }
    Digest actual;
    if (expected && expected->algorithm() != s_.hasher.algorithm()) {
      // The writer hashed with another algorithm (it was opened without this expected digest).
      auto h = hash_prefix(core_->fs, s_.fd.get(), s_.offset, expected->algorithm());
      if (!h)
        return h.error();
      actual = h->digest();
    } else {
      actual = s_.hasher.digest();
    }
    if (expected && actual != *expected) {
      // Nothing becomes visible; the ingest stays for the client to fix or abort.
      return fail(Errc::digest_mismatch, "expected " + expected->str() + ", got " + actual.str());
    }
    core_->fault("verified");

    const std::filesystem::path blob = core_->blob_path(actual);
    if (file_exists(core_->fs, blob))
      return finish_existing(actual);

    Timestamp now = core_->clock.now();
    const int fd = s_.fd.get();
    // Read-only and stamped with its creation time before it becomes visible.
    if (core_->fs.fchmod(fd, 0444) != 0)
      return io_error("chmod ingest data");
    int64_t nanos = to_unix_nanos(now);
    timespec times[2] = {{nanos / 1'000'000'000, nanos % 1'000'000'000},
                         {nanos / 1'000'000'000, nanos % 1'000'000'000}};
    if (core_->fs.futimens(fd, times) != 0)
      return undo_chmod(io_error("stamp ingest data"));
    if (auto r = fu::sync_fd(core_->fs, fd, "fsync ingest data"); !r)
      return undo_chmod(r.error());
    core_->fault("synced");

    if (fu::rename_no_replace(core_->fs, data_path_, blob) != 0) {
      if (errno == EEXIST)
        return finish_existing(actual);
      return undo_chmod(io_error("move ingest data into the blob tree"));
    }
    core_->fault("renamed");
    core_->written_pages.rename(data_path_, blob);
    // The rename is durable once blobs/<alg> is fsynced after it; concurrent commits share that
    // fsync (DirSync's group commit).
    DirSync& dir_sync = core_->blob_dir_sync(actual.algorithm());
    auto dir_synced = dir_sync.sync(dir_sync.changed());
    core_->fault("dir_synced");
    // The rest of the blob's pages join the budget (with a reader following it, all of them).
    core_->written_pages.add(blob, handed_until_, s_.offset - handed_until_);

    if (!labels.empty()) {
      core_->set_labels(actual, labels, now);
    } else {
      std::lock_guard lock(core_->labels_mu);
      core_->labels.erase(actual);  // a leftover of an earlier blob with this digest
    }
    finish();
    core_->fault("done");
    // The content is visible either way; a failed directory fsync means it may not survive a
    // power cut, which the caller should hear about.
    if (!dir_synced)
      return dir_synced.error();
    return {};
  }

 private:
  Result<void> check_open() const {
    if (committed_)
      return fail(Errc::failed_precondition, "writer already committed");
    if (broken_) {
      return fail(Errc::io, "ingest is inconsistent after a failed write; open it again");
    }
    return {};
  }

  Error undo_chmod(Error e) {
    core_->fs.fchmod(s_.fd.get(), 0644);
    return e;
  }

  // The bytes are committed already (by someone else): drop this copy.
  Result<void> finish_existing(const Digest& d) {
    finish();
    // Its committer may not have fsynced the directory yet; already_exists is acknowledged.
    if (auto r = core_->sync_existing(d); !r)
      return r.error();
    return fail(Errc::already_exists, "content " + d.str() + " already exists");
  }

  // Closes the writer and removes its ingest. A failed removal leaves a stale directory,
  // which later calls clean up, so it is not an error of the commit.
  void finish() {
    committed_ = true;
    s_.fd.reset();
    core_->recycle_ingest(s_.dir);
    guard_.reset();
  }

  void publish() {
    if (!guard_)
      return;
    guard_->live().offset.store(s_.offset);
    guard_->live().updated_nanos.store(to_unix_nanos(s_.updated_at));
  }

  // Records the time of a change; rewrites `updatedat` when forced or a second has passed.
  void touch(bool force) {
    s_.updated_at = core_->clock.now();
    publish();
    if (force || s_.updated_at - persisted_updated_at_ >= kUpdatedAtPersistEvery) {
      persist_updated_at();
    }
  }

  // Best effort: `updatedat` is informational, a failure must not fail the write.
  void persist_updated_at() {
    auto r = fu::write_file_atomic(core_->fs, LocalCore::ingest_file(s_.dir, kUpdatedAtFile),
                                   std::to_string(to_unix_nanos(s_.updated_at)), false);
    if (r)
      persisted_updated_at_ = s_.updated_at;
  }

  // Starts writeback of what was written since the last call, once enough has piled up, so
  // the commit's fsync finds little dirty data, and hands that range to the store's page budget
  // (WrittenPages), which drops the oldest pages of the store beyond it: the writer's own, when
  // it alone wrote more than the budget. A writer with keep_pages hands its pages over only when
  // it ends. Advisory: errors are ignored here; fsync at commit reports any real I/O failure.
  void start_writeback() {
    const int64_t interval = core_->options.writeback_interval;
    if (interval <= 0 || s_.offset - writeback_start_ < interval)
      return;
    ::sync_file_range(s_.fd.get(), writeback_start_, s_.offset - writeback_start_,
                      SYNC_FILE_RANGE_WRITE);
    if (!s_.keep_pages) {
      core_->written_pages.add(data_path_, handed_until_, s_.offset - handed_until_);
      handed_until_ = s_.offset;
    }
    writeback_start_ = s_.offset;
  }

  std::shared_ptr<LocalCore> core_;       // keeps the store's shared state alive
  std::optional<RefLocks::Guard> guard_;  // released at commit (after core_ in destruction)
  WriterState s_;
  Timestamp persisted_updated_at_{};
  std::filesystem::path data_path_;  // the ingest's data file
  int64_t writeback_start_ = 0;      // writeback was started for everything before this
  int64_t handed_until_ = 0;         // bytes before this were handed to the page budget
  bool committed_ = false;
  bool broken_ = false;
};

Result<void> write_record(FileSystem& fs, const std::filesystem::path& dir, std::string_view name,
                          std::string_view value) {
  return fu::write_file_atomic(fs, LocalCore::ingest_file(dir, name), value, false);
}

}  // namespace

Result<std::unique_ptr<Writer>> open_local_writer(std::shared_ptr<LocalCore> core,
                                                  const WriterOptions& opts) {
  if (auto r = validate_ref(opts.ref); !r)
    return r.error();
  if (opts.total < 0)
    return fail(Errc::invalid_argument, "negative total size");
  if (opts.expected && file_exists(core->fs, core->blob_path(*opts.expected))) {
    if (auto r = core->sync_existing(*opts.expected); !r)
      return r.error();
    return fail(Errc::already_exists, "content " + opts.expected->str() + " already exists");
  }
  const std::string key = LocalCore::ingest_key(opts.ref);
  auto guard =
      core->ref_locks.acquire(key, opts.lock_wait.value_or(core->options.writer_lock_wait));
  if (!guard)
    return fail(Errc::unavailable, "ingest " + opts.ref + " is held by another writer");

  WriterState s;
  s.ref = opts.ref;
  s.dir = core->ingest_root / key;
  auto rec = core->read_ingest(s.dir, opts.ref);
  if (!rec && rec.error() != Errc::not_found)
    return rec.error();
  if (rec && rec->state != IngestRecord::State::ok) {
    // Stale (committed, then crashed) or corrupt (crashed while created): start over.
    if (auto r = core->remove_ingest(s.dir); !r)
      return r.error();
    rec = fail(Errc::not_found);
  }

  if (!rec) {
    Timestamp now = core->clock.now();
    if (auto r = core->create_ingest(opts.ref, now, opts.total, opts.expected); !r) {
      return r.error();
    }
    s.total = opts.total;
    s.expected = opts.expected;
    s.started_at = s.updated_at = now;
  } else {
    const Status& st = rec->status;
    if (auto r = check_reopen(opts, st.total, st.expected); !r)
      return r.error();
    s.total = st.total;
    s.expected = st.expected;
    if (opts.total > 0 && st.total == 0) {
      if (auto r = write_record(core->fs, s.dir, kTotalFile, std::to_string(opts.total)); !r) {
        return r.error();
      }
      s.total = opts.total;
    }
    if (opts.expected && !st.expected) {
      if (auto r = write_record(core->fs, s.dir, kExpectedFile, opts.expected->str()); !r)
        return r.error();
      s.expected = opts.expected;
    }
    s.started_at = st.started_at;
    s.updated_at = st.updated_at;
  }

  const auto data_path = LocalCore::ingest_file(s.dir, kDataFile);
  if (rec) {
    // A commit that crashed before its rename left the data read-only; make it writable again.
    core->fs.chmod(data_path.c_str(), 0644);
  }
  auto fd = fu::open_file(core->fs, data_path, O_RDWR | O_APPEND, 0, "open ingest data");
  if (!fd)
    return fd.error();
  struct stat st {};
  if (core->fs.fstat(fd->get(), &st) != 0)
    return io_error("stat ingest data");
  s.fd = std::move(*fd);
  s.offset = st.st_size;
  Algorithm alg = s.expected ? s.expected->algorithm() : Algorithm::sha256;
  auto hasher = hash_prefix(core->fs, s.fd.get(), s.offset, alg);
  if (!hasher)
    return hasher.error();
  s.hasher = std::move(*hasher);
  s.keep_pages = opts.keep_pages;
  return std::unique_ptr<Writer>(
      std::make_unique<LocalWriter>(std::move(core), std::move(*guard), std::move(s)));
}

}  // namespace cairn::content
