// FreeSpace: the free bytes of the data root's filesystem, and the floor (--min-free-bytes)
// that uploads must leave free, so that metadata writes, deletes and GC always have room.
//
// statvfs(2) is cached: check() re-reads it when the cached figure is older than 100 ms or
// when more than 8 MiB were admitted since (each admitted piece is taken off the cached figure
// meanwhile). Only uploads and cache fills call check(); metadata writes never do.
//
// Thread-safety: every method may be called from any thread. check() and available() may call
// statvfs: call them off I/O threads (they run inside offloaded work).
#pragma once

#include "storage/common/result.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>

namespace cairn {

class FreeSpace {
 public:
  // `min_free`: the floor in bytes (0: no floor); nullopt: the default, 1 % of the filesystem's
  // size capped at 1 GiB, computed now.
  FreeSpace(std::filesystem::path root, std::optional<uint64_t> min_free);

  // The floor in bytes (0: none).
  uint64_t min_free() const noexcept { return min_free_; }

  // Admits `incoming` more bytes of an upload (0: may an upload start?). Errors: no_space when
  // the filesystem would keep less than min_free() free (the detail says how much is free and
  // the floor); never fails when the floor is 0 or the filesystem cannot be read.
  Result<void> check(uint64_t incoming = 0);
  // check(0) on a fresh statvfs (for readiness probes: they must see space just freed).
  Result<void> check_now();

  // The free bytes now (a fresh statvfs), std::nullopt when it fails.
  std::optional<uint64_t> available() const;

 private:
  static constexpr auto kRefreshEvery = std::chrono::milliseconds(100);
  static constexpr uint64_t kRefreshBytes = uint64_t{8} << 20;

  std::filesystem::path root_;
  uint64_t min_free_ = 0;
  std::mutex mu_;
  std::chrono::steady_clock::time_point read_at_{};  // guarded by mu_
  int64_t cached_ = 0;                               // free bytes at read_at_ minus admitted
  uint64_t admitted_ = 0;                            // bytes admitted since read_at_
};

}  // namespace cairn
