#include "storage/content/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

namespace cairn::content {
namespace {

class PosixFileSystem final : public FileSystem {
 public:
  int open(const char* path, int flags, mode_t mode) override { return ::open(path, flags, mode); }
  ssize_t write(int fd, const void* buf, size_t n) override { return ::write(fd, buf, n); }
  ssize_t pread(int fd, void* buf, size_t n, off_t offset) override {
    return ::pread(fd, buf, n, offset);
  }
  int fsync(int fd) override { return ::fsync(fd); }
  int ftruncate(int fd, off_t size) override { return ::ftruncate(fd, size); }
  int fstat(int fd, struct stat* st) override { return ::fstat(fd, st); }
  int stat(const char* path, struct stat* st) override { return ::stat(path, st); }
  int fchmod(int fd, mode_t mode) override { return ::fchmod(fd, mode); }
  int chmod(const char* path, mode_t mode) override { return ::chmod(path, mode); }
  int futimens(int fd, const struct timespec times[2]) override { return ::futimens(fd, times); }
  int rename(const char* from, const char* to) override { return ::rename(from, to); }
  int rename_noreplace(const char* from, const char* to) override {
    return ::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
  }
  int unlink(const char* path) override { return ::unlink(path); }
  int mkdir(const char* path, mode_t mode) override { return ::mkdir(path, mode); }
  int rmdir(const char* path) override { return ::rmdir(path); }
};

}  // namespace

FileSystem& posix_file_system() {
  static PosixFileSystem fs;
  return fs;
}

}  // namespace cairn::content
