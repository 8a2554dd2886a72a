#include "storage/content/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace cairn::content::file_util {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) {
    // close(2) must not be retried on EINTR on Linux: the descriptor is released either way.
    ::close(fd_);
  }
  fd_ = fd;
}

Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, mode_t mode,
                           std::string_view context) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT)
      return fail(Errc::not_found, std::string(context) + ": no such file");
    return io_error(context);
  }
  return UniqueFd(fd);
}

Result<void> write_all(int fd, std::span<const std::byte> data, std::string_view context) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
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

Result<size_t> pread_full(int fd, std::span<std::byte> buf, int64_t offset,
                          std::string_view context) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done,
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

Result<void> sync_fd(int fd, std::string_view context) {
  if (::fsync(fd) != 0)
    return io_error(context);
  return {};
}

Result<void> sync_dir(const std::filesystem::path& dir) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY, 0, "open directory for fsync");
  if (!fd)
    return fd.error();
  return sync_fd(fd->get(), "fsync directory");
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                               bool sync) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  auto fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, "create record file");
  if (!fd)
    return fd.error();
  if (auto r = write_all(fd->get(), std::as_bytes(std::span(content)), "write record file"); !r) {
    return r;
  }
  if (sync) {
    if (auto r = sync_fd(fd->get(), "fsync record file"); !r)
      return r;
  }
  fd->reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return io_error("rename record file");
  return {};
}

Result<std::string> read_small_file(const std::filesystem::path& path, size_t max_size) {
  auto fd = open_file(path, O_RDONLY, 0, "open record file");
  if (!fd)
    return fd.error();
  std::string out(max_size + 1, '\0');
  auto n = pread_full(fd->get(), std::as_writable_bytes(std::span(out)), 0, "read record file");
  if (!n)
    return n.error();
  if (*n > max_size)
    return fail(Errc::io, "record file too large");
  out.resize(*n);
  return out;
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
