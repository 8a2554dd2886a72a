// WrittenPages: how much of what writers wrote last stays in the page cache. A blob pulled
// right after its push (a CI job that pushes and then deploys) is then read from memory, while a
// long run of pushes does not fill the page cache with what it wrote, whose reclaim otherwise
// falls on the writers (bench/README.md: back-to-back 1 GiB pushes at a quarter of the speed).
//
// Writers hand over each range as its writeback starts, by path (so nothing is held open: a blob
// removed meanwhile frees its space at once, and its pages go with it); a commit renames the
// ranges of its ingest file to the blob's path. Beyond `budget` bytes, the oldest ranges of the
// whole store are written back (waiting for what is still in flight) and dropped from the page
// cache (posix_fadvise DONTNEED). The kernel drops whole folios only, so a range is cut only at
// kDropAlign boundaries, dropping up to that much more than the budget asks. Advisory
// throughout: a failure changes only what is cached.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>

namespace cairn::content {

class WrittenPages {
 public:
  explicit WrittenPages(int64_t budget) : budget_(budget < 0 ? 0 : budget) {}

  // The bytes kept at most (the budget), and those kept now.
  int64_t budget() const noexcept { return budget_; }
  int64_t kept() const;

  // Keeps bytes [offset, offset + length) of the file at `path`, which were just written;
  // drops the oldest ranges kept beyond the budget (possibly part of this one). Blocks on the
  // writeback of what it drops.
  void add(const std::filesystem::path& path, int64_t offset, int64_t length);

  // The file at `from` is now at `to` (a commit's rename): its ranges follow it.
  void rename(const std::filesystem::path& from, const std::filesystem::path& to);

  // Where a range is cut when only part of it must go: the largest folio the page cache builds.
  static constexpr int64_t kDropAlign = 2 << 20;

  // Writes back and drops [offset, offset + length) of the open file `fd` from the page cache.
  static void drop(int fd, int64_t offset, int64_t length) noexcept;

 private:
  struct Range {
    std::filesystem::path path;
    int64_t offset = 0;
    int64_t length = 0;
  };

  const int64_t budget_;
  mutable std::mutex mu_;
  std::deque<Range> ranges_;  // oldest first; guarded by mu_
  int64_t kept_ = 0;          // the sum of their lengths; guarded by mu_
};

// The default budget: an eighth of the machine's memory, at most 1 GiB.
int64_t default_written_pages_budget();

}  // namespace cairn::content
