// DirSync: group commit for the fsync(2) of one directory.
//
// A rename into a directory (a blob entering blobs/sha256/) is durable once the directory is
// fsynced after it. Concurrent commits into one directory need not fsync it one after the
// other: each notes its change (changed(), after its rename), then asks for a sync covering it
// (sync(ticket)). A sync that starts after a change covers it, so when one is in flight the
// others wait for it and for at most one more, which syncs for all of them at once (the
// pattern of a database's group commit). With no changes pending, sync() returns at once.
//
// Thread-safe. Errors are reported to the caller whose sync failed; the next caller tries again.
#pragma once

#include "storage/common/result.h"
#include "storage/content/fs.h"

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>

namespace cairn::content {

class DirSync {
 public:
  // Syncs `dir` through `fs`, which must outlive it.
  DirSync(FileSystem& fs, std::filesystem::path dir) : fs_(fs), dir_(std::move(dir)) {}
  DirSync(const DirSync&) = delete;
  DirSync& operator=(const DirSync&) = delete;

  const std::filesystem::path& dir() const noexcept { return dir_; }

  // Notes that an entry of the directory changed (call it after the rename or unlink) and
  // returns the ticket to pass to sync().
  uint64_t changed();

  // Returns once the directory has been fsynced after the change `ticket` names (at once when
  // that has happened already). Errors: io (the fsync failed).
  Result<void> sync(uint64_t ticket);

  // sync() for every change noted so far: whatever a caller has seen in the directory is
  // durable when it returns.
  Result<void> sync_pending();

  // Whether some noted change is not yet known to be durable.
  bool pending();

 private:
  FileSystem& fs_;
  const std::filesystem::path dir_;
  std::mutex mu_;
  std::condition_variable done_;
  uint64_t changed_ = 0;  // tickets handed out; guarded by mu_
  uint64_t synced_ = 0;   // every ticket <= synced_ is durable; guarded by mu_
  bool running_ = false;  // a sync is in flight; guarded by mu_
};

}  // namespace cairn::content
