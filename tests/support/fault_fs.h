// FaultFileSystem: a content::FileSystem (storage/content/fs.h) over the real files that reports
// every change to a PowerCut model (power_cut.h) and fails operations as it says: after a cut,
// every call fails with EIO; injected faults fail the n-th call of a kind. unlink(2) moves the
// file into the model's trash so a power cut can bring it back.
#pragma once

#include "storage/content/fs.h"
#include "tests/support/power_cut.h"

namespace cairn::testing {

class FaultFileSystem final : public content::FileSystem {
 public:
  explicit FaultFileSystem(PowerCut& model) : model_(model) {}

  int open(const char* path, int flags, mode_t mode) override;
  ssize_t write(int fd, const void* buf, size_t n) override;
  ssize_t pread(int fd, void* buf, size_t n, off_t offset) override;
  int fsync(int fd) override;
  int ftruncate(int fd, off_t size) override;
  int fstat(int fd, struct stat* st) override;
  int stat(const char* path, struct stat* st) override;
  int fchmod(int fd, mode_t mode) override;
  int chmod(const char* path, mode_t mode) override;
  int futimens(int fd, const struct timespec times[2]) override;
  int rename(const char* from, const char* to) override;
  int rename_noreplace(const char* from, const char* to) override;
  int unlink(const char* path) override;
  int mkdir(const char* path, mode_t mode) override;
  int rmdir(const char* path) override;

 private:
  PowerCut& model_;
};

}  // namespace cairn::testing
