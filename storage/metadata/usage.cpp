#include "storage/metadata/usage.h"

#include "storage/metadata/keys.h"
#include "storage/metadata/records.h"

namespace cairn::metadata {

Result<int64_t> Usage::bytes(std::string_view ns) {
  uint64_t version = 0, epoch = 0;
  // Replicas: the others' pushes move the total without telling this process, so it is summed
  // from the records every time (one prefix scan of the namespace) and never kept.
  const bool keep = !db_.shared();
  if (keep) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(ns);
    if (it != entries_.end()) {
      if (it->second.valid)
        return it->second.bytes;
      version = it->second.version;
    }
    epoch = epoch_;
  }
  // Scan outside the lock. A notification for `ns` (or a forget_all) while it runs moves the
  // version (or the epoch), and the sum, which may have missed it, is returned but not cached.
  int64_t sum = 0;
  std::optional<Error> bad;
  auto scanned = db_.scan(keys::blob_prefix(ns), {}, [&](std::string_view, std::string_view v) {
    auto rec = decode_blob(v);
    if (!rec) {
      bad = rec.error();
      return false;
    }
    sum += rec->size;
    return true;
  });
  if (!scanned)
    return scanned.error();
  if (bad)
    return *bad;
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(std::string(ns));
  if (keep && epoch_ == epoch && it->second.version == version && !it->second.valid) {
    it->second.bytes = sum;
    it->second.valid = true;
  }
  return sum;
}

void Usage::added(std::string_view ns, int64_t size) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ns);
  if (it == entries_.end())
    it = entries_.emplace(std::string(ns), Entry{}).first;
  ++it->second.version;
  if (it->second.valid)
    it->second.bytes += size;
}

void Usage::forget(std::string_view ns) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ns);
  if (it == entries_.end())
    it = entries_.emplace(std::string(ns), Entry{}).first;
  ++it->second.version;
  it->second.valid = false;
}

void Usage::forget_all() {
  std::lock_guard lock(mutex_);
  ++epoch_;
  entries_.clear();
}

}  // namespace cairn::metadata
