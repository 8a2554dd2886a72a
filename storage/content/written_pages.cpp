#include "storage/content/written_pages.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace cairn::content {

int64_t WrittenPages::kept() const {
  std::lock_guard lock(mu_);
  return kept_;
}

void WrittenPages::add(const std::filesystem::path& path, int64_t offset, int64_t length) {
  if (length <= 0)
    return;
  std::vector<Range> drops;
  {
    std::lock_guard lock(mu_);
    ranges_.push_back(Range{path, offset, length});
    kept_ += length;
    while (kept_ > budget_) {
      Range& oldest = ranges_.front();
      // Cut at a kDropAlign boundary, or drop all of it when that is its end or beyond.
      const int64_t end = oldest.offset + oldest.length;
      const int64_t need = oldest.offset + (kept_ - budget_);
      const int64_t cut = (need + kDropAlign - 1) / kDropAlign * kDropAlign;
      if (cut >= end) {
        kept_ -= oldest.length;
        drops.push_back(std::move(oldest));
        ranges_.pop_front();
      } else {
        drops.push_back(Range{oldest.path, oldest.offset, cut - oldest.offset});
        kept_ -= cut - oldest.offset;
        oldest.length = end - cut;
        oldest.offset = cut;
      }
    }
  }
  // Outside the lock: the writeback waited for here must not hold up other writers' add().
  for (const Range& r : drops) {
    const int fd = ::open(r.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;  // removed (its pages went with it), or renamed by a commit since
    drop(fd, r.offset, r.length);
    ::close(fd);
  }
}

void WrittenPages::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::lock_guard lock(mu_);
  for (Range& r : ranges_) {
    if (r.path == from)
      r.path = to;
  }
}

void WrittenPages::drop(int fd, int64_t offset, int64_t length) noexcept {
  if (length <= 0)
    return;
  // Dirty pages are not dropped: write them back first (usually done long ago).
  ::sync_file_range(
      fd, offset, length,
      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  ::posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED);
}

int64_t default_written_pages_budget() {
  constexpr int64_t kMax = int64_t{1} << 30;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0)
    return kMax / 8;
  return std::min<int64_t>(kMax, static_cast<int64_t>(pages) * page_size / 8);
}

}  // namespace cairn::content
