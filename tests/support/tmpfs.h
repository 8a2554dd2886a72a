// Tmpfs: a small tmpfs mounted on a fresh temp dir for one test, so the test can fill a real
// filesystem (ENOSPC from write(2), fsync, rename and mkdir, as a full disk gives them) and free
// it again. Mounting needs root (CAP_SYS_ADMIN); where it fails, mounted() is false and why()
// says so, and the test skips:
//
//   Tmpfs fs(8 << 20);
//   if (!fs.mounted()) GTEST_SKIP() << fs.why();
//
// The filler file takes the free space (fill()) and gives it back (drain()); the mount is
// detached (MNT_DETACH) in the destructor, after which the temp dir is removed.
#pragma once

#include "tests/support/temp_dir.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace cairn::testing {

class Tmpfs {
 public:
  explicit Tmpfs(uint64_t bytes) {
    path_ = dir_ / "fs";
    std::filesystem::create_directories(path_);
    if (::geteuid() != 0) {
      why_ = "needs root to mount a tmpfs (run the tests as root to fill a real filesystem)";
      return;
    }
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      why_ = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~Tmpfs() {
    if (mounted_)
      ::umount2(path_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& sub) const { return path_ / sub; }

  // Bytes free for an unprivileged writer.
  uint64_t available() const {
    struct statvfs st {};
    if (::statvfs(path_.c_str(), &st) != 0)
      return 0;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  // Grows the filler file until at most `leave` bytes stay free (fewer when the filesystem has
  // less). Returns the filler's size.
  uint64_t fill(uint64_t leave = 0) {
    const int fd = ::open((path_ / kFiller).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
      return 0;
    std::vector<char> buf(64 * 1024, 'f');
    while (true) {
      const uint64_t avail = available();
      if (avail <= leave)
        break;
      const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), avail - leave));
      const ssize_t n = ::write(fd, buf.data(), want);
      if (n <= 0)
        break;
    }
    ::close(fd);
    std::error_code ec;
    return std::filesystem::file_size(path_ / kFiller, ec);
  }

  // Removes the filler: the space fill() took is free again.
  void drain() {
    std::error_code ec;
    std::filesystem::remove(path_ / kFiller, ec);
  }

 private:
  static constexpr const char* kFiller = "filler";

  TempDir dir_;
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace cairn::testing
