#include "storage/content/local_store.h"

#include "storage/content/file_util.h"
#include "storage/content/filter.h"
#include "storage/content/labels.h"
#include "storage/content/local_core.h"
#include "storage/content/local_reader.h"
#include "storage/content/local_writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace cairn::content {
namespace fu = file_util;
namespace {

Timestamp mtime_of(const struct stat& st) {
  return from_unix_nanos(static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                         st.st_mtim.tv_nsec);
}

}  // namespace

Result<void> validate_ref(std::string_view ref) {
  if (ref.empty())
    return fail(Errc::invalid_argument, "ref is empty");
  if (ref.size() > kMaxRefSize) {
    return fail(Errc::invalid_argument,
                "ref is longer than " + std::to_string(kMaxRefSize) + " bytes");
  }
  for (char c : ref) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return fail(Errc::invalid_argument, "ref holds a space, control or non-ASCII byte");
    }
  }
  if (ref.front() == '/')
    return fail(Errc::invalid_argument, "ref starts with '/'");
  size_t start = 0;
  while (start <= ref.size()) {
    size_t end = ref.find('/', start);
    if (end == std::string_view::npos)
      end = ref.size();
    std::string_view part = ref.substr(start, end - start);
    if (part == "." || part == "..") {
      return fail(Errc::invalid_argument, "ref holds a '.' or '..' path component");
    }
    start = end + 1;
  }
  return {};
}

Result<void> check_reopen(const WriterOptions& opts, int64_t total,
                          const std::optional<Digest>& expected) {
  if (opts.total > 0 && total > 0 && opts.total != total) {
    return fail(Errc::invalid_argument, "total " + std::to_string(opts.total) +
                                            " contradicts the ingest's " + std::to_string(total));
  }
  if (opts.expected && expected && *opts.expected != *expected) {
    return fail(Errc::invalid_argument, "expected digest " + opts.expected->str() +
                                            " contradicts the ingest's " + expected->str());
  }
  return {};
}

struct LocalStore::Impl {
  std::shared_ptr<LocalCore> core;

  // Builds the Info of a blob from its file; not_found when the file is gone.
  Result<Info> info_of(const Digest& digest) {
    struct stat st {};
    if (core->fs.stat(core->blob_path(digest).c_str(), &st) != 0) {
      if (errno == ENOENT)
        return fail(Errc::not_found, "content " + digest.str() + " not found");
      return io_error("stat blob");
    }
    Info info;
    info.digest = digest;
    info.size = st.st_size;
    info.created_at = mtime_of(st);
    info.updated_at = info.created_at;
    std::lock_guard lock(core->labels_mu);
    if (auto it = core->labels.find(digest); it != core->labels.end()) {
      info.labels = it->second.labels;
      info.updated_at = it->second.updated_at;
    }
    return info;
  }

  // A complete ingest's status, preferring what a live writer publishes.
  Status with_live(Status st) {
    if (auto live = core->ref_locks.live(LocalCore::ingest_key(st.ref))) {
      st.offset = live->offset.load();
      st.updated_at = from_unix_nanos(live->updated_nanos.load());
    }
    return st;
  }
};

LocalStore::LocalStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalStore::~LocalStore() = default;

Result<std::unique_ptr<LocalStore>> LocalStore::open(const std::filesystem::path& root,
                                                     LocalStoreOptions options) {
  if (options.clock == nullptr)
    options.clock = &SystemClock::instance();
  auto core = std::make_shared<LocalCore>(root, std::move(options));
  // Directories created here are fsynced into their parents, so the blob directories a commit
  // fsyncs are themselves durable.
  for (const auto& dir :
       {core->blob_dir(Algorithm::sha256), core->blob_dir(Algorithm::sha512), core->ingest_root}) {
    if (auto r = fu::create_directories(core->fs, dir); !r)
      return r.error();
  }
  std::error_code ec;
  // Ingests half-built when a process died; no writer of this process can own them yet.
  for (std::filesystem::directory_iterator it(core->ingest_root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename().string().starts_with(kIngestTempPrefix)) {
      (void)fu::remove_tree(core->fs, it->path());
    }
  }
  if (ec)
    return io_error("scan ingest directory", ec.value());
  // Renames of a process that died between a commit's rename and its directory fsync become
  // durable before this store says anything exists.
  for (Algorithm alg : {Algorithm::sha256, Algorithm::sha512}) {
    if (auto r = fu::sync_dir(core->fs, core->blob_dir(alg)); !r)
      return r.error();
  }
  auto impl = std::make_unique<Impl>();
  impl->core = std::move(core);
  return std::unique_ptr<LocalStore>(new LocalStore(std::move(impl)));
}

Result<std::unique_ptr<ReaderAt>> LocalStore::reader(const Digest& digest) {
  auto fd =
      fu::open_file(impl_->core->fs, impl_->core->blob_path(digest), O_RDONLY, 0, "open blob");
  if (!fd) {
    if (fd.error() == Errc::not_found) {
      return fail(Errc::not_found, "content " + digest.str() + " not found");
    }
    return fd.error();
  }
  struct stat st {};
  if (impl_->core->fs.fstat(fd->get(), &st) != 0)
    return io_error("stat blob");
  return std::unique_ptr<ReaderAt>(
      std::make_unique<LocalReader>(impl_->core->fs, std::move(*fd), st.st_size));
}

Result<Info> LocalStore::info(const Digest& digest) {
  auto info = impl_->info_of(digest);
  if (info) {
    if (auto r = impl_->core->sync_existing(digest); !r)
      return r.error();
  }
  return info;
}

Result<Info> LocalStore::update(const Info& info, std::span<const std::string> fieldpaths) {
  auto current = impl_->info_of(info.digest);
  if (!current)
    return current.error();
  LocalCore& core = *impl_->core;
  std::lock_guard lock(core.labels_mu);
  auto it = core.labels.find(info.digest);
  auto next = apply_label_update(it == core.labels.end() ? Labels{} : it->second.labels,
                                 info.labels, fieldpaths);
  if (!next)
    return next.error();
  Timestamp now = core.clock.now();
  current->labels = *next;
  current->updated_at = now;
  core.labels[info.digest] = LocalCore::LabelEntry{std::move(*next), now};
  return current;
}

Result<void> LocalStore::walk(const WalkFn& fn, std::span<const std::string> filters) {
  auto filter = Filter::parse(filters);
  if (!filter)
    return filter.error();
  std::vector<Digest> digests;
  for (Algorithm alg : {Algorithm::sha256, Algorithm::sha512}) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(impl_->core->blob_dir(alg), ec), end;
         !ec && it != end; it.increment(ec)) {
      // Anything that is not a well-formed digest name (a stray file) is not content.
      auto d =
          Digest::parse(std::string(algorithm_name(alg)) + ":" + it->path().filename().string());
      if (d)
        digests.push_back(std::move(*d));
    }
    if (ec)
      return io_error("scan blob directory", ec.value());
  }
  std::sort(digests.begin(), digests.end());
  for (const Digest& d : digests) {
    auto info = impl_->info_of(d);
    if (!info) {
      if (info.error() == Errc::not_found)
        continue;  // removed during the walk
      return info.error();
    }
    if (filter->match(*info) && !fn(*info))
      break;
  }
  return {};
}

Result<void> LocalStore::remove(const Digest& digest) {
  if (impl_->core->fs.unlink(impl_->core->blob_path(digest).c_str()) != 0) {
    if (errno == ENOENT)
      return fail(Errc::not_found, "content " + digest.str() + " not found");
    return io_error("remove blob");
  }
  std::lock_guard lock(impl_->core->labels_mu);
  impl_->core->labels.erase(digest);
  return {};
}

void LocalStore::set_off_thread(OffThread run) {
  impl_->core->set_off_thread(std::move(run));
}

bool LocalStore::exists(const Digest& digest) {
  struct stat st {};
  if (impl_->core->fs.stat(impl_->core->blob_path(digest).c_str(), &st) != 0)
    return false;
  // Not durable yet (and cannot be made so) counts as absent: the caller uploads it again.
  return impl_->core->sync_existing(digest).has_value();
}

Result<std::vector<LocalStore::IngestDir>> LocalStore::scan_ingests() {
  std::vector<IngestDir> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(impl_->core->ingest_root, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& dir = it->path();
    if (dir.filename().string().starts_with(kIngestTempPrefix))
      continue;  // being created
    auto rec = impl_->core->read_ingest(dir, std::nullopt);
    if (!rec) {
      if (rec.error() == Errc::not_found)
        continue;  // committed or aborted meanwhile
      return rec.error();
    }
    IngestDir entry;
    entry.key = dir.filename().string();
    switch (rec->state) {
      case IngestRecord::State::ok:
        entry.state = IngestDir::State::ok;
        entry.status = impl_->with_live(std::move(rec->status));
        break;
      case IngestRecord::State::stale:
        entry.state = IngestDir::State::stale;
        entry.status = std::move(rec->status);
        break;
      case IngestRecord::State::corrupt:
        entry.state = IngestDir::State::corrupt;
        entry.status = std::move(rec->status);
        break;
    }
    out.push_back(std::move(entry));
  }
  if (ec)
    return io_error("scan ingest directory", ec.value());
  std::sort(out.begin(), out.end(),
            [](const IngestDir& a, const IngestDir& b) { return a.key < b.key; });
  return out;
}

Result<bool> LocalStore::remove_broken_ingest(std::string_view key) {
  // A key is a sha256 hex: anything else never names an ingest directory.
  if (key.size() != algorithm_hex_size(Algorithm::sha256) ||
      key.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return fail(Errc::invalid_argument, "not an ingest key");
  }
  return impl_->core->clean_if_unheld(impl_->core->ingest_root / std::string(key));
}

Result<void> LocalStore::move_out(const Digest& digest, const std::filesystem::path& dest) {
  const auto from = impl_->core->blob_path(digest);
  // rename(2) without replacing: a quarantined copy is never overwritten.
  int rc = fu::rename_no_replace(impl_->core->fs, from, dest);
  if (rc != 0) {
    if (errno == ENOENT)
      return fail(Errc::not_found, "content " + digest.str() + " not found");
    if (errno == EEXIST)
      return fail(Errc::already_exists, "move target exists");
    return io_error("move blob out");
  }
  {
    std::lock_guard lock(impl_->core->labels_mu);
    impl_->core->labels.erase(digest);
  }
  // The new entry is durable once its directory is fsynced, the old one's removal once the blob
  // directory is: in this order a power cut leaves the file in one place or (briefly) in both,
  // never in neither.
  if (auto r = fu::sync_dir(impl_->core->fs, dest.parent_path()); !r)
    return r;
  return fu::sync_dir(impl_->core->fs, impl_->core->blob_dir(digest.algorithm()));
}

Result<Status> LocalStore::status(std::string_view ref) {
  if (auto r = validate_ref(ref); !r)
    return r.error();
  auto dir = impl_->core->ingest_path(ref);
  auto rec = impl_->core->read_ingest(dir, ref);
  if (!rec)
    return rec.error();
  if (rec->state != IngestRecord::State::ok) {
    impl_->core->clean_if_unheld(dir);
    return fail(Errc::not_found, "no such ingest");
  }
  return impl_->with_live(std::move(rec->status));
}

Result<std::vector<Status>> LocalStore::list_statuses() {
  auto dirs = scan_ingests();
  if (!dirs)
    return dirs.error();
  std::vector<Status> out;
  out.reserve(dirs->size());
  for (IngestDir& d : *dirs) {
    if (d.state == IngestDir::State::ok)
      out.push_back(std::move(d.status));  // scan_ingests() added the live writer's figures
    else
      impl_->core->clean_if_unheld(impl_->core->ingest_root / d.key);
  }
  std::sort(out.begin(), out.end(), [](const Status& a, const Status& b) { return a.ref < b.ref; });
  return out;
}

Result<void> LocalStore::abort(std::string_view ref) {
  if (auto r = validate_ref(ref); !r)
    return r.error();
  LocalCore& core = *impl_->core;
  auto guard = core.ref_locks.acquire(LocalCore::ingest_key(ref), std::chrono::milliseconds(0));
  if (!guard)
    return fail(Errc::unavailable, "ingest " + std::string(ref) + " has a live writer");
  auto dir = core.ingest_path(ref);
  auto rec = core.read_ingest(dir, ref);
  if (!rec)
    return rec.error();
  if (auto r = core.remove_ingest(dir); !r)
    return r;
  if (rec->state != IngestRecord::State::ok)
    return fail(Errc::not_found, "no such ingest");
  return {};
}

Result<std::unique_ptr<Writer>> LocalStore::writer(const WriterOptions& opts) {
  return open_local_writer(impl_->core, opts);
}

}  // namespace cairn::content
