#include "storage/content/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace cairn::content::file_util {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) {
    // close(2) must not be retried on EINTR on Linux: the descriptor is released either way.
    ::close(fd_);
  }
  fd_ = fd;
}

Result<UniqueFd> open_file(FileSystem& fs, const std::filesystem::path& path, int flags,
                           mode_t mode, std::string_view context) {
  int fd;
  do {
    fd = fs.open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT)
      return fail(Errc::not_found, std::string(context) + ": no such file");
    return io_error(context);
  }
  return UniqueFd(fd);
}

Result<void> write_all(FileSystem& fs, int fd, std::span<const std::byte> data,
                       std::string_view context) {
  while (!data.empty()) {
    ssize_t n = fs.write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return io_error(context);
    }
    if (n == 0)
      return io_error(context, EIO);  // no progress and no error: do not spin
    data = data.subspan(static_cast<size_t>(n));
  }
  return {};
}

Result<size_t> pread_full(FileSystem& fs, int fd, std::span<std::byte> buf, int64_t offset,
                          std::string_view context) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = fs.pread(fd, buf.data() + done, buf.size() - done,
                         static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return io_error(context);
    }
    if (n == 0)
      break;  // end of file
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<void> sync_fd(FileSystem& fs, int fd, std::string_view context) {
  if (fs.fsync(fd) != 0)
    return io_error(context);
  return {};
}

int rename_no_replace(FileSystem& fs, const std::filesystem::path& from,
                      const std::filesystem::path& to) {
  if (fs.rename_noreplace(from.c_str(), to.c_str()) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -1;
  // The filesystem lacks RENAME_NOREPLACE. Check first: two racing committers of the same
  // bytes then both rename, which leaves the same single file.
  struct stat st {};
  if (fs.stat(to.c_str(), &st) == 0) {
    errno = EEXIST;
    return -1;
  }
  return fs.rename(from.c_str(), to.c_str());
}

Result<void> sync_dir(FileSystem& fs, const std::filesystem::path& dir) {
  auto fd = open_file(fs, dir, O_RDONLY | O_DIRECTORY, 0, "open directory for fsync");
  if (!fd)
    return fd.error();
  return sync_fd(fs, fd->get(), "fsync directory");
}

Result<void> write_file_in_place(FileSystem& fs, const std::filesystem::path& path,
                                 std::string_view content) {
  auto fd = open_file(fs, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, "write record file");
  if (!fd)
    return fd.error();
  return write_all(fs, fd->get(), std::as_bytes(std::span(content.data(), content.size())),
                   "write record file");
}

Result<void> write_file_atomic(FileSystem& fs, const std::filesystem::path& path,
                               std::string_view content, bool sync) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  auto fd = open_file(fs, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, "create record file");
  if (!fd)
    return fd.error();
  if (auto r = write_all(fs, fd->get(), std::as_bytes(std::span(content)), "write record file");
      !r) {
    return r;
  }
  if (sync) {
    if (auto r = sync_fd(fs, fd->get(), "fsync record file"); !r)
      return r;
  }
  fd->reset();
  if (fs.rename(tmp.c_str(), path.c_str()) != 0)
    return io_error("rename record file");
  return {};
}

Result<std::string> read_small_file(FileSystem& fs, const std::filesystem::path& path,
                                    size_t max_size) {
  auto fd = open_file(fs, path, O_RDONLY, 0, "open record file");
  if (!fd)
    return fd.error();
  std::string out(max_size + 1, '\0');
  auto n = pread_full(fs, fd->get(), std::as_writable_bytes(std::span(out)), 0, "read record file");
  if (!n)
    return n.error();
  if (*n > max_size)
    return fail(Errc::io, "record file too large");
  out.resize(*n);
  return out;
}

Result<void> create_directories(FileSystem& fs, const std::filesystem::path& dir) {
  struct stat st {};
  if (fs.stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return io_error("create directory", ENOTDIR);
    return {};
  }
  if (errno != ENOENT)
    return io_error("stat directory");
  const std::filesystem::path parent = dir.parent_path();
  if (!parent.empty() && parent != dir) {
    if (auto r = create_directories(fs, parent); !r)
      return r;
  }
  if (fs.mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return io_error("create directory");
  // The new entry is durable once its parent directory is fsynced.
  return sync_dir(fs, parent.empty() ? std::filesystem::path(".") : parent);
}

Result<void> remove_tree(FileSystem& fs, const std::filesystem::path& path) {
  struct stat st {};
  if (fs.stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return {};
    return io_error("stat for removal");
  }
  if (S_ISDIR(st.st_mode)) {
    std::error_code ec;
    std::vector<std::filesystem::path> children;
    for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end;
         it.increment(ec)) {
      children.push_back(it->path());
    }
    if (ec && ec != std::errc::no_such_file_or_directory)
      return io_error("list directory for removal", ec.value());
    for (const auto& child : children) {
      if (auto r = remove_tree(fs, child); !r)
        return r;
    }
    if (fs.rmdir(path.c_str()) != 0 && errno != ENOENT)
      return io_error("remove directory");
    return {};
  }
  if (fs.unlink(path.c_str()) != 0 && errno != ENOENT)
    return io_error("remove file");
  return {};
}

Result<int64_t> parse_int64(std::string_view text) {
  if (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return fail(Errc::internal, "corrupt number in ingest record");
  }
  return v;
}

}  // namespace cairn::content::file_util
