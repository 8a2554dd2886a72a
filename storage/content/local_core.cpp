#include "storage/content/local_core.h"

#include "storage/content/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace cairn::content {
namespace fu = file_util;
namespace {

constexpr size_t kMaxNumberFile = 32;
constexpr size_t kMaxDigestFile = 256;

// Reads an optional decimal record; `fallback` when the file is absent.
Result<int64_t> read_number(FileSystem& fs, const std::filesystem::path& p, int64_t fallback) {
  auto text = fu::read_small_file(fs, p, kMaxNumberFile);
  if (!text) {
    if (text.error() == Errc::not_found)
      return fallback;
    return text.error();
  }
  return fu::parse_int64(*text);
}

}  // namespace

LocalCore::LocalCore(std::filesystem::path root_dir, LocalStoreOptions opts)
    : root(std::move(root_dir)),
      blobs_root(root / "blobs"),
      ingest_root(root / "ingest"),
      options(std::move(opts)),
      clock(*options.clock),
      fs(options.fs != nullptr ? *options.fs : posix_file_system()),
      sha256_sync(fs, blob_dir(Algorithm::sha256)),
      sha512_sync(fs, blob_dir(Algorithm::sha512)),
      written_pages(options.keep_written_bytes.value_or(default_written_pages_budget())) {}

std::shared_ptr<const OffThread> LocalCore::off_thread() const {
  std::lock_guard lock(off_thread_mu_);
  return off_thread_;
}

void LocalCore::set_off_thread(OffThread run) {
  auto next = run ? std::make_shared<const OffThread>(std::move(run)) : nullptr;
  std::lock_guard lock(off_thread_mu_);
  off_thread_ = std::move(next);
}

Result<void> LocalCore::sync_existing(const Digest& digest) {
  DirSync& sync = blob_dir_sync(digest.algorithm());
  if (!sync.pending())
    return {};
  return sync.sync_pending();
}

std::filesystem::path LocalCore::blob_dir(Algorithm alg) const {
  return blobs_root / std::string(algorithm_name(alg));
}

std::filesystem::path LocalCore::blob_path(const Digest& digest) const {
  // Digest::parse guarantees hex() is a plain lowercase-hex file name.
  return blob_dir(digest.algorithm()) / std::string(digest.hex());
}

std::string LocalCore::ingest_key(std::string_view ref) {
  return std::string(digest_of(ref).hex());
}

std::filesystem::path LocalCore::ingest_path(std::string_view ref) const {
  return ingest_root / ingest_key(ref);
}

std::filesystem::path LocalCore::ingest_file(const std::filesystem::path& dir,
                                             std::string_view name) {
  return dir / std::string(name);
}

Result<IngestRecord> LocalCore::read_ingest(const std::filesystem::path& dir,
                                            std::optional<std::string_view> ref) const {
  IngestRecord rec;
  struct stat st {};
  if (fs.stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return fail(Errc::not_found, "no such ingest");
    return io_error("stat ingest");
  }
  auto ref_text = fu::read_small_file(fs, ingest_file(dir, kRefFile), kMaxRefSize);
  if (!ref_text && ref_text.error() != Errc::not_found)
    return ref_text.error();
  if (!ref_text || ref_text->empty() || validate_ref(*ref_text).has_error() ||
      (ref && *ref_text != *ref) || digest_of(*ref_text).hex() != dir.filename().string()) {
    rec.state = IngestRecord::State::corrupt;
    if (ref_text)
      rec.status.ref = *ref_text;
    return rec;
  }
  rec.status.ref = std::move(*ref_text);

  if (fs.stat(ingest_file(dir, kDataFile).c_str(), &st) != 0) {
    if (errno != ENOENT)
      return io_error("stat ingest data");
    rec.state = IngestRecord::State::stale;
    return rec;
  }
  rec.status.offset = st.st_size;
  // A crash can leave the record files empty; fall back to the data file's mtime then.
  int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  auto started = read_number(fs, ingest_file(dir, kStartedAtFile), mtime);
  auto updated = read_number(fs, ingest_file(dir, kUpdatedAtFile), mtime);
  auto total = read_number(fs, ingest_file(dir, kTotalFile), 0);
  if (!started || !updated || !total) {
    rec.state = IngestRecord::State::corrupt;
    return rec;
  }
  rec.status.started_at = from_unix_nanos(*started);
  rec.status.updated_at = from_unix_nanos(*updated);
  rec.status.total = *total;

  auto expected = fu::read_small_file(fs, ingest_file(dir, kExpectedFile), kMaxDigestFile);
  if (expected) {
    auto d = Digest::parse(*expected);
    if (!d) {
      rec.state = IngestRecord::State::corrupt;
      return rec;
    }
    rec.status.expected = std::move(*d);
  } else if (expected.error() != Errc::not_found) {
    return expected.error();
  }
  return rec;
}

Result<void> LocalCore::create_ingest(std::string_view ref, Timestamp now, int64_t total,
                                      const std::optional<Digest>& expected) const {
  std::filesystem::path final_dir = ingest_path(ref);
  std::filesystem::path tmp =
      ingest_root / (std::string(kIngestTempPrefix) + final_dir.filename().string());
  // A leftover from a crash while creating this very ref; the caller holds the ref.
  (void)fu::remove_tree(fs, tmp);
  std::optional<std::filesystem::path> spare;
  {
    std::lock_guard lock(spares_mu);
    if (!spares.empty()) {
      spare = std::move(spares.back());
      spares.pop_back();
    }
  }
  // A spare holds ref, startedat and updatedat, which are overwritten in place below.
  if (spare && fs.rename(spare->c_str(), tmp.c_str()) != 0) {
    (void)fu::remove_tree(fs, *spare);
    spare.reset();
  }
  if (!spare && fs.mkdir(tmp.c_str(), 0755) != 0)
    return io_error("create ingest directory");

  auto build = [&]() -> Result<void> {
    // Nobody reads a directory under a temporary name, so its files are written in place (the
    // directory's rename publishes them all at once).
    std::string nanos = std::to_string(to_unix_nanos(now));
    if (auto r = fu::write_file_in_place(fs, ingest_file(tmp, kRefFile), ref); !r)
      return r;
    if (auto r = fu::write_file_in_place(fs, ingest_file(tmp, kStartedAtFile), nanos); !r)
      return r;
    if (auto r = fu::write_file_in_place(fs, ingest_file(tmp, kUpdatedAtFile), nanos); !r)
      return r;
    if (total > 0) {
      auto r = fu::write_file_in_place(fs, ingest_file(tmp, kTotalFile), std::to_string(total));
      if (!r)
        return r;
    }
    if (expected) {
      auto r = fu::write_file_in_place(fs, ingest_file(tmp, kExpectedFile), expected->str());
      if (!r)
        return r;
    }
    auto data = fu::open_file(fs, ingest_file(tmp, kDataFile), O_WRONLY | O_CREAT | O_EXCL, 0644,
                              "create ingest data");
    if (!data)
      return data.error();
    if (fs.rename(tmp.c_str(), final_dir.c_str()) != 0)
      return io_error("publish ingest directory");
    return {};
  };
  auto r = build();
  if (!r)
    (void)fu::remove_tree(fs, tmp);
  return r;
}

void LocalCore::recycle_ingest(const std::filesystem::path& dir) const {
  std::filesystem::path spare;
  {
    std::lock_guard lock(spares_mu);
    if (spares.size() < kMaxSpareIngests)
      spare =
          ingest_root / (std::string(kIngestTempPrefix) + "spare-" + std::to_string(++spare_seq));
  }
  // Only the three files every ingest has may stay: a spare must not bring a stale total or
  // expected digest (or leftover data) into the next ingest.
  bool ok = !spare.empty();
  for (std::string_view extra : {kTotalFile, kExpectedFile, kDataFile}) {
    if (ok && fs.unlink(ingest_file(dir, extra).c_str()) != 0 && errno != ENOENT)
      ok = false;
  }
  if (ok && fs.rename(dir.c_str(), spare.c_str()) == 0) {
    std::lock_guard lock(spares_mu);
    spares.push_back(std::move(spare));
    return;
  }
  (void)remove_ingest(dir);
}

Result<void> LocalCore::remove_ingest(const std::filesystem::path& dir) const {
  return fu::remove_tree(fs, dir);
}

bool LocalCore::clean_if_unheld(const std::filesystem::path& dir) {
  auto guard = ref_locks.acquire(dir.filename().string(), std::chrono::milliseconds(0));
  if (!guard)
    return false;  // a writer is committing or recreating it right now
  // Re-read under the ref: a writer may have recreated it between our read and the lock.
  auto rec = read_ingest(dir, std::nullopt);
  if (!rec || rec->state == IngestRecord::State::ok)
    return false;
  return remove_ingest(dir).has_value();
}

void LocalCore::set_labels(const Digest& digest, Labels new_labels, Timestamp now) {
  std::lock_guard lock(labels_mu);
  labels[digest] = LabelEntry{std::move(new_labels), now};
}

}  // namespace cairn::content
