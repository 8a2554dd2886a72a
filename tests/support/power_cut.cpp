#include "tests/support/power_cut.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

// Paths are compared as text: normal form, no trailing separator.
fs::path norm(const fs::path& p) {
  fs::path n = p.lexically_normal();
  std::string s = n.string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return fs::path(s);
}

std::optional<struct stat> lstat_of(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0)
    return std::nullopt;
  return st;
}

bool mutating(FaultOp op) {
  switch (op) {
    case FaultOp::create:
    case FaultOp::write:
    case FaultOp::sync:
    case FaultOp::rename:
    case FaultOp::remove:
    case FaultOp::mkdir:
      return true;
    default:
      return false;
  }
}

}  // namespace

PowerCut::PowerCut(fs::path trash) : trash_(norm(trash)) {
  fs::create_directories(trash_);
}

void PowerCut::inject(FaultOp op, uint64_t nth, int err, bool sticky) {
  std::lock_guard lock(mu_);
  injections_.push_back(Injection{op, std::max<uint64_t>(nth, 1), err, sticky});
}

void PowerCut::clear_faults() {
  std::lock_guard lock(mu_);
  injections_.clear();
}

void PowerCut::cut_after(uint64_t n) {
  std::lock_guard lock(mu_);
  cut_at_ = mutations_ + std::max<uint64_t>(n, 1);
}

void PowerCut::cut() {
  std::lock_guard lock(mu_);
  cut_ = true;
}

bool PowerCut::is_cut() const {
  std::lock_guard lock(mu_);
  return cut_;
}

uint64_t PowerCut::mutations() const {
  std::lock_guard lock(mu_);
  return mutations_;
}

int PowerCut::check(FaultOp op) {
  std::lock_guard lock(mu_);
  if (cut_)
    return EIO;
  if (mutating(op)) {
    ++mutations_;
    if (cut_at_ && mutations_ >= *cut_at_) {
      cut_ = true;
      return EIO;
    }
  }
  for (auto it = injections_.begin(); it != injections_.end(); ++it) {
    if (it->op != op)
      continue;
    if (it->remaining > 1) {
      --it->remaining;
      continue;
    }
    int err = it->err;
    if (!it->sticky)
      injections_.erase(it);
    return err;
  }
  return 0;
}

void PowerCut::track_locked(ino_t ino, int64_t size, std::optional<int64_t> truncating_to) {
  auto [it, inserted] = synced_size_.try_emplace(ino, size);
  if (truncating_to)
    it->second = std::min(it->second, *truncating_to);
}

void PowerCut::created(const fs::path& path) {
  std::lock_guard lock(mu_);
  auto st = lstat_of(path);
  if (!st)
    return;
  synced_size_[st->st_ino] = 0;
  pending_.push_back(
      EntryOp{EntryOp::create, norm(path).parent_path(), norm(path), {}, st->st_ino, {}});
}

void PowerCut::touching(const fs::path& path, std::optional<int64_t> truncating_to) {
  std::lock_guard lock(mu_);
  if (auto st = lstat_of(path); st && S_ISREG(st->st_mode))
    track_locked(st->st_ino, st->st_size, truncating_to);
}

void PowerCut::touching_fd(int fd, std::optional<int64_t> truncating_to) {
  std::lock_guard lock(mu_);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    track_locked(st.st_ino, st.st_size, truncating_to);
}

void PowerCut::synced_file(const fs::path& path) {
  std::lock_guard lock(mu_);
  if (auto st = lstat_of(path); st && S_ISREG(st->st_mode))
    synced_size_[st->st_ino] = st->st_size;
}

void PowerCut::synced_fd(int fd) {
  std::unique_lock lock(mu_);
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    auto it = dir_fds_.find(fd);
    if (it == dir_fds_.end())
      return;
    fs::path dir = it->second;
    lock.unlock();
    synced_dir(dir);
    return;
  }
  synced_size_[st.st_ino] = st.st_size;
}

void PowerCut::synced_dir(const fs::path& dir) {
  std::lock_guard lock(mu_);
  const fs::path d = norm(dir);
  std::erase_if(pending_, [&](const EntryOp& op) { return op.dir == d; });
}

bool PowerCut::created_unsynced(const fs::path& path) {
  std::lock_guard lock(mu_);
  const fs::path p = norm(path);
  return std::any_of(pending_.begin(), pending_.end(),
                     [&](const EntryOp& op) { return op.kind == EntryOp::create && op.path == p; });
}

fs::path PowerCut::next_trash_locked() {
  return trash_ / std::to_string(++trash_seq_);
}

int PowerCut::rename(const fs::path& from, const fs::path& to, bool noreplace) {
  std::lock_guard lock(mu_);
  auto st = lstat_of(from);
  fs::path saved;
  if (st && !noreplace) {
    if (auto old = lstat_of(to); old && S_ISREG(old->st_mode)) {
      saved = next_trash_locked();
      if (::link(to.c_str(), saved.c_str()) != 0)
        saved.clear();
    }
  }
  int r = noreplace ? ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE)
                    : ::rename(from.c_str(), to.c_str());
  if (r != 0) {
    int err = errno;
    if (!saved.empty())
      ::unlink(saved.c_str());
    errno = err;
    return r;
  }
  if (st) {
    pending_.push_back(
        EntryOp{EntryOp::rename, norm(to).parent_path(), norm(to), norm(from), st->st_ino, saved});
  }
  return 0;
}

int PowerCut::unlink(const fs::path& path) {
  std::lock_guard lock(mu_);
  auto st = lstat_of(path);
  if (!st)
    return -1;  // errno from lstat (ENOENT, ...)
  if (S_ISDIR(st->st_mode)) {
    errno = EISDIR;
    return -1;
  }
  fs::path saved = next_trash_locked();
  if (::rename(path.c_str(), saved.c_str()) != 0)
    return -1;
  pending_.push_back(
      EntryOp{EntryOp::unlink, norm(path).parent_path(), norm(path), {}, st->st_ino, saved});
  return 0;
}

void PowerCut::made_dir(const fs::path& path) {
  std::lock_guard lock(mu_);
  if (auto st = lstat_of(path)) {
    pending_.push_back(
        EntryOp{EntryOp::mkdir, norm(path).parent_path(), norm(path), {}, st->st_ino, {}});
  }
}

void PowerCut::removed_dir(const fs::path& path) {
  std::lock_guard lock(mu_);
  pending_.push_back(EntryOp{EntryOp::rmdir, norm(path).parent_path(), norm(path), {}, 0, {}});
}

void PowerCut::opened_dir(int fd, const fs::path& path) {
  std::lock_guard lock(mu_);
  dir_fds_[fd] = norm(path);
}

void PowerCut::undo_locked(const EntryOp& op, Dropped& d) {
  std::error_code ec;
  auto at = lstat_of(op.path);
  const bool same = at && at->st_ino == op.ino;
  switch (op.kind) {
    case EntryOp::create:
      if (same && ::unlink(op.path.c_str()) == 0)
        ++d.entries_undone;
      return;  // gone already: a later durable change moved or removed it
    case EntryOp::mkdir:
      if (same && S_ISDIR(at->st_mode)) {
        fs::remove_all(op.path, ec);  // whatever is still in it goes with its entry
        ++d.entries_undone;
      }
      return;
    case EntryOp::rename:
      if (!same)
        return;
      if (lstat_of(op.from.parent_path()) && ::rename(op.path.c_str(), op.from.c_str()) == 0) {
        ++d.entries_undone;
        if (!op.saved.empty())
          ::rename(op.saved.c_str(), op.path.c_str());  // the file it replaced comes back
      } else {
        ++d.not_undoable;
      }
      return;
    case EntryOp::unlink:
      if (!at && lstat_of(op.path.parent_path()) &&
          ::rename(op.saved.c_str(), op.path.c_str()) == 0) {
        ++d.entries_undone;
      } else {
        ++d.not_undoable;
      }
      return;
    case EntryOp::rmdir:
      if (!at && lstat_of(op.path.parent_path()) && ::mkdir(op.path.c_str(), 0755) == 0)
        ++d.entries_undone;
      else
        ++d.not_undoable;
      return;
  }
}

PowerCut::Dropped PowerCut::drop_unsynced(const fs::path& root) {
  std::lock_guard lock(mu_);
  Dropped d;
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it)
    undo_locked(*it, d);
  pending_.clear();

  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    auto st = lstat_of(it->path());
    if (!st || !S_ISREG(st->st_mode))
      continue;
    auto tracked = synced_size_.find(st->st_ino);
    if (tracked == synced_size_.end() || tracked->second >= st->st_size)
      continue;
    // truncate(2) needs write permission, and committed blobs are 0444.
    ::chmod(it->path().c_str(), st->st_mode | S_IWUSR);
    if (::truncate(it->path().c_str(), tracked->second) == 0) {
      ++d.files_truncated;
      d.bytes_dropped += static_cast<uint64_t>(st->st_size - tracked->second);
    }
    ::chmod(it->path().c_str(), st->st_mode);
  }

  fs::remove_all(trash_, ec);
  fs::create_directories(trash_, ec);
  synced_size_.clear();
  dir_fds_.clear();
  injections_.clear();
  cut_ = false;
  cut_at_.reset();
  return d;
}

}  // namespace cairn::testing
