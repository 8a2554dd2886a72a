#include "storage/content/dir_sync.h"

#include "storage/content/file_util.h"

namespace cairn::content {

uint64_t DirSync::changed() {
  std::lock_guard lock(mu_);
  return ++changed_;
}

bool DirSync::pending() {
  std::lock_guard lock(mu_);
  return synced_ < changed_;
}

Result<void> DirSync::sync_pending() {
  uint64_t ticket;
  {
    std::lock_guard lock(mu_);
    ticket = changed_;
  }
  return sync(ticket);
}

Result<void> DirSync::sync(uint64_t ticket) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (synced_ >= ticket)
      return {};
    if (!running_)
      break;
    // The sync in flight may have started before our change: wait for it, then look again.
    done_.wait(lock);
  }
  // Lead: one fsync covers every change noted before it starts.
  running_ = true;
  const uint64_t covers = changed_;
  lock.unlock();
  auto r = file_util::sync_dir(fs_, dir_);
  lock.lock();
  running_ = false;
  if (r && covers > synced_)
    synced_ = covers;
  done_.notify_all();
  return r;
}

}  // namespace cairn::content
