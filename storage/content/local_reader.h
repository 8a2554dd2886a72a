// The local store's ReaderAt: pread(2) on a descriptor of its own, over a committed blob or an
// ingest's data file (a writer's reader follows the file when a commit renames it into the blob
// tree). Private to the content stores (BucketStore's spool files are read through it too).
#pragma once

#include "storage/content/file_util.h"
#include "storage/content/fs.h"
#include "storage/content/store.h"

#include <algorithm>

namespace cairn::content {

class LocalReader final : public ReaderAt {
 public:
  // Reads [0, size) of `fd`; `fs` must outlive the reader.
  LocalReader(FileSystem& fs, file_util::UniqueFd fd, int64_t size)
      : fs_(fs), fd_(std::move(fd)), size_(size) {}

  Result<size_t> read_at(std::span<std::byte> buf, int64_t offset) override {
    if (offset < 0)
      return fail(Errc::range_invalid, "negative read offset");
    if (offset >= size_ || buf.empty())
      return size_t{0};
    size_t want = static_cast<size_t>(std::min<int64_t>(size_ - offset, buf.size()));
    return file_util::pread_full(fs_, fd_.get(), buf.first(want), offset, "read blob");
  }
  int64_t size() const override { return size_; }
  int native_handle() const override { return fd_.get(); }

 private:
  FileSystem& fs_;
  file_util::UniqueFd fd_;
  int64_t size_;
};

}  // namespace cairn::content
