// Page-cache residency of a file's pages (mincore(2) over a read-only mapping, which maps
// without reading anything in), for tests of what a writer keeps cached. On tmpfs every page is
// memory and cannot be dropped: dropping_works() says whether drops can be observed under a
// directory.
#pragma once

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace cairn::testing {

// Whether a page-cache drop is observable for files under `dir` (not tmpfs nor ramfs).
inline bool dropping_works(const std::filesystem::path& dir) {
  struct statfs st {};
  if (::statfs(dir.c_str(), &st) != 0)
    return false;
  return st.f_type != TMPFS_MAGIC && st.f_type != RAMFS_MAGIC;
}

// The fraction (0..1) of the pages of [offset, offset + length) of `path` that are in the page
// cache; -1 when the file cannot be mapped.
inline double resident_fraction(const std::filesystem::path& path, int64_t offset, int64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0 || offset + length > st.st_size) {
    ::close(fd);
    return -1;
  }
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return -1;
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> in((static_cast<size_t>(st.st_size) + page - 1) / page);
  const int rc = ::mincore(map, static_cast<size_t>(st.st_size), in.data());
  ::munmap(map, static_cast<size_t>(st.st_size));
  if (rc != 0)
    return -1;
  const int64_t first = offset / page;
  const int64_t last = (offset + length + page - 1) / page;
  int64_t resident = 0;
  for (int64_t i = first; i < last; ++i)
    resident += in[static_cast<size_t>(i)] & 1;
  return last > first ? static_cast<double>(resident) / static_cast<double>(last - first) : 0;
}

}  // namespace cairn::testing
