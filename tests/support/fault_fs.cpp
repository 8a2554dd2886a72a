#include "tests/support/fault_fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>

namespace cairn::testing {
namespace {

// Fails the call with `err` (errno) when it is not 0.
#define CAIRN_FAULT(op)                \
  do {                                 \
    if (int err_ = model_.check(op)) { \
      errno = err_;                    \
      return -1;                       \
    }                                  \
  } while (0)

}  // namespace

int FaultFileSystem::open(const char* path, int flags, mode_t mode) {
  bool existed = true;
  if (flags & O_CREAT) {
    struct stat st {};
    existed = ::stat(path, &st) == 0;
  }
  CAIRN_FAULT(existed ? FaultOp::open : FaultOp::create);
  if (existed && (flags & O_TRUNC))
    model_.touching(path, 0);
  int fd = ::open(path, flags, mode);
  if (fd < 0)
    return fd;
  if (!existed)
    model_.created(path);
  if (flags & O_DIRECTORY)
    model_.opened_dir(fd, path);
  return fd;
}

ssize_t FaultFileSystem::write(int fd, const void* buf, size_t n) {
  CAIRN_FAULT(FaultOp::write);
  model_.touching_fd(fd);
  return ::write(fd, buf, n);
}

ssize_t FaultFileSystem::pread(int fd, void* buf, size_t n, off_t offset) {
  CAIRN_FAULT(FaultOp::read);
  return ::pread(fd, buf, n, offset);
}

int FaultFileSystem::fsync(int fd) {
  CAIRN_FAULT(FaultOp::sync);
  int r = ::fsync(fd);
  if (r == 0)
    model_.synced_fd(fd);
  return r;
}

int FaultFileSystem::ftruncate(int fd, off_t size) {
  CAIRN_FAULT(FaultOp::write);
  model_.touching_fd(fd, size);
  return ::ftruncate(fd, size);
}

int FaultFileSystem::fstat(int fd, struct stat* st) {
  CAIRN_FAULT(FaultOp::read);
  return ::fstat(fd, st);
}

int FaultFileSystem::stat(const char* path, struct stat* st) {
  CAIRN_FAULT(FaultOp::read);
  return ::stat(path, st);
}

int FaultFileSystem::fchmod(int fd, mode_t mode) {
  CAIRN_FAULT(FaultOp::other);
  return ::fchmod(fd, mode);
}

int FaultFileSystem::chmod(const char* path, mode_t mode) {
  CAIRN_FAULT(FaultOp::other);
  return ::chmod(path, mode);
}

int FaultFileSystem::futimens(int fd, const struct timespec times[2]) {
  CAIRN_FAULT(FaultOp::other);
  return ::futimens(fd, times);
}

int FaultFileSystem::rename(const char* from, const char* to) {
  CAIRN_FAULT(FaultOp::rename);
  return model_.rename(from, to, false);
}

int FaultFileSystem::rename_noreplace(const char* from, const char* to) {
  CAIRN_FAULT(FaultOp::rename);
  return model_.rename(from, to, true);
}

int FaultFileSystem::unlink(const char* path) {
  CAIRN_FAULT(FaultOp::remove);
  return model_.unlink(path);
}

int FaultFileSystem::mkdir(const char* path, mode_t mode) {
  CAIRN_FAULT(FaultOp::mkdir);
  int r = ::mkdir(path, mode);
  if (r == 0)
    model_.made_dir(path);
  return r;
}

int FaultFileSystem::rmdir(const char* path) {
  CAIRN_FAULT(FaultOp::remove);
  int r = ::rmdir(path);
  if (r == 0)
    model_.removed_dir(path);
  return r;
}

}  // namespace cairn::testing
