// File helpers for the local content store: an owning file descriptor, write(2) and pread(2)
// loops that survive EINTR and short transfers, fsync of files and directories, and small
// text files replaced atomically (write a temporary, fsync, rename).
//
// Every error is Errc::io (or not_found where said) with a short context and strerror; no
// detail holds a filesystem path, so details stay safe to show a client. All functions block
// on the filesystem and are thread-safe as far as the files they touch are not shared. Each
// goes through the FileSystem it is given (fs.h), so tests can inject faults and power cuts.
#pragma once

#include "storage/common/result.h"
#include "storage/content/fs.h"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace cairn::content::file_util {

// Owns a file descriptor and closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Gives up ownership and returns the descriptor.
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current descriptor (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added. Errors: not_found (ENOENT), io (`context` names the file's role).
Result<UniqueFd> open_file(FileSystem& fs, const std::filesystem::path& path, int flags,
                           mode_t mode, std::string_view context);

// Writes all of `data` at the descriptor's offset, looping over EINTR and partial writes.
// Errors: io. On error some prefix of `data` may have been written.
Result<void> write_all(FileSystem& fs, int fd, std::span<const std::byte> data,
                       std::string_view context);

// Reads at `offset` until `buf` is full or the end of the file; returns the count read.
// Errors: io.
Result<size_t> pread_full(FileSystem& fs, int fd, std::span<std::byte> buf, int64_t offset,
                          std::string_view context);

// fsync(2). Errors: io.
Result<void> sync_fd(FileSystem& fs, int fd, std::string_view context);

// rename(2) that never replaces `to` (RENAME_NOREPLACE, or a check first where the filesystem
// lacks it). Returns 0, or -1 with errno set: EEXIST when `to` exists.
int rename_no_replace(FileSystem& fs, const std::filesystem::path& from,
                      const std::filesystem::path& to);

// Opens a directory and fsyncs it, making renames and unlinks in it durable. Errors: io.
Result<void> sync_dir(FileSystem& fs, const std::filesystem::path& dir);

// Replaces the file at `path` with `content`: writes `<path>.tmp`, optionally fsyncs it, and
// renames it over `path`, so a reader sees either the old or the new content. Errors: io.
Result<void> write_file_atomic(FileSystem& fs, const std::filesystem::path& path,
                               std::string_view content, bool sync);

// Writes `content` as the whole of the file at `path` (created, or truncated and rewritten in
// place: no new inode when it exists). Not atomic: for files nobody reads meanwhile. Errors: io.
Result<void> write_file_in_place(FileSystem& fs, const std::filesystem::path& path,
                                 std::string_view content);

// Reads a whole small file (at most `max_size` bytes). Errors: not_found (ENOENT), io (also
// when the file is larger than `max_size`).
Result<std::string> read_small_file(FileSystem& fs, const std::filesystem::path& path,
                                    size_t max_size);

// Creates `dir` and any missing parent (mode 0755), then fsyncs the parent of each directory
// it created, so the new directories survive a power cut (nothing is synced when all exist).
// Errors: io.
Result<void> create_directories(FileSystem& fs, const std::filesystem::path& dir);

// Removes `path` and, when it is a directory, everything under it (rmdir/unlink through `fs`).
// A missing `path` is not an error. Nothing is fsynced. Errors: io.
Result<void> remove_tree(FileSystem& fs, const std::filesystem::path& path);

// Parses a decimal int64 as this store writes it (optional '-', digits, optional trailing
// newline). Errors: internal (a corrupt record).
Result<int64_t> parse_int64(std::string_view text);

}  // namespace cairn::content::file_util
