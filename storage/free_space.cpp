#include "storage/free_space.h"

#include <sys/statvfs.h>

#include <algorithm>

namespace cairn {
namespace {

struct Figures {
  uint64_t size = 0;
  uint64_t free = 0;  // for unprivileged writers (f_bavail)
};

std::optional<Figures> read_figures(const std::filesystem::path& root) {
  struct statvfs st {};
  if (::statvfs(root.c_str(), &st) != 0)
    return std::nullopt;
  return Figures{static_cast<uint64_t>(st.f_blocks) * st.f_frsize,
                 static_cast<uint64_t>(st.f_bavail) * st.f_frsize};
}

std::string mib(uint64_t bytes) {
  return bytes >= (uint64_t{1} << 20) ? std::to_string(bytes >> 20) + " MiB"
                                      : std::to_string(bytes) + " bytes";
}

}  // namespace

FreeSpace::FreeSpace(std::filesystem::path root, std::optional<uint64_t> min_free)
    : root_(std::move(root)) {
  if (min_free) {
    min_free_ = *min_free;
  } else if (auto f = read_figures(root_)) {
    min_free_ = std::min<uint64_t>(f->size / 100, uint64_t{1} << 30);
  }
}

std::optional<uint64_t> FreeSpace::available() const {
  auto f = read_figures(root_);
  if (!f)
    return std::nullopt;
  return f->free;
}

Result<void> FreeSpace::check_now() {
  {
    std::lock_guard lock(mu_);
    read_at_ = {};  // stale: the next check reads statvfs
  }
  return check(0);
}

Result<void> FreeSpace::check(uint64_t incoming) {
  if (min_free_ == 0)
    return {};
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - read_at_ >= kRefreshEvery || admitted_ >= kRefreshBytes) {
    auto f = read_figures(root_);
    if (!f)
      return {};  // cannot tell: the write itself will find out
    cached_ = static_cast<int64_t>(f->free);
    admitted_ = 0;
    read_at_ = now;
  }
  const int64_t left = cached_ - static_cast<int64_t>(incoming);
  if (left < static_cast<int64_t>(min_free_)) {
    return fail(Errc::no_space, "the data root's filesystem has " +
                                    mib(static_cast<uint64_t>(std::max<int64_t>(cached_, 0))) +
                                    " free, and uploads must leave " + mib(min_free_) +
                                    " (--min-free-bytes) for metadata and GC");
  }
  cached_ = left;
  admitted_ += incoming;
  return {};
}

}  // namespace cairn
