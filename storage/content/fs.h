// FileSystem: the seam between the local content store and the filesystem calls that change or
// read its files. Every open, write, read, fsync, truncate, rename, unlink, mkdir and rmdir of
// the store (local_store.cpp, local_writer.cpp, local_core.cpp, file_util.cpp) goes through one,
// so a test can replace it: the power-cut simulation (tests/support/power_cut.h) records which
// changes were made durable by an fsync and drops the rest, and injects EIO or ENOSPC.
//
// The calls keep POSIX's shape (a descriptor or 0 on success, -1 with errno set on failure) so
// the store's error handling is the same either way. The default, posix_file_system(), is the
// plain system call: one virtual call each, no extra system call.
//
// Outside the seam on purpose: close(2) (a descriptor is released either way), directory
// listings (reads that change nothing), and the advisory sync_file_range / posix_fadvise (they
// make nothing durable), with the read-only open(2) WrittenPages makes for them. A reader's
// native_handle() may be used with sendfile(2); that bypasses the seam for reads only.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <ctime>

namespace cairn::content {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // open(2); returns the descriptor. The caller passes O_CLOEXEC.
  virtual int open(const char* path, int flags, mode_t mode) = 0;
  // write(2) at the descriptor's offset.
  virtual ssize_t write(int fd, const void* buf, size_t n) = 0;
  // pread(2).
  virtual ssize_t pread(int fd, void* buf, size_t n, off_t offset) = 0;
  // fsync(2): makes the file's data durable, and the directory's entries when fd is a directory.
  virtual int fsync(int fd) = 0;
  // ftruncate(2).
  virtual int ftruncate(int fd, off_t size) = 0;
  // fstat(2) and stat(2).
  virtual int fstat(int fd, struct stat* st) = 0;
  virtual int stat(const char* path, struct stat* st) = 0;
  // fchmod(2), chmod(2), futimens(2).
  virtual int fchmod(int fd, mode_t mode) = 0;
  virtual int chmod(const char* path, mode_t mode) = 0;
  virtual int futimens(int fd, const struct timespec times[2]) = 0;
  // rename(2), which replaces `to`.
  virtual int rename(const char* from, const char* to) = 0;
  // renameat2(2) with RENAME_NOREPLACE: fails with EEXIST when `to` exists, and with EINVAL or
  // ENOSYS where the filesystem lacks the flag.
  virtual int rename_noreplace(const char* from, const char* to) = 0;
  // unlink(2), mkdir(2), rmdir(2).
  virtual int unlink(const char* path) = 0;
  virtual int mkdir(const char* path, mode_t mode) = 0;
  virtual int rmdir(const char* path) = 0;
};

// The real system calls. Thread-safe; lives for the whole process.
FileSystem& posix_file_system();

}  // namespace cairn::content
