// Bucket: the object store a BucketStore keeps its blobs and ingests in (bucket_store.h): one
// S3 bucket behind a key prefix in production (s3/bucket.h), the seam new object stores plug
// into. Keys are relative to the bucket's prefix; the implementation adds it.
//
// Synchronous: every call blocks its thread until the object store answered, so it is made from
// the offload pool (as every content::Store call is), never from an I/O thread. An
// implementation bounds each call (its own deadlines) and never buffers a whole object on a
// read: get() streams.
//
// What BucketStore relies on (S3 gives all of it):
//  - put() and complete_multipart() make an object appear whole or not at all, and durably:
//    once they return, every later call of any process sees it (read-after-write);
//  - a multipart upload's parts (all but the last at least kMinPartSize) are invisible until
//    completed, and uploading a part number again replaces it;
//  - list() visits keys in ascending byte order.
//
// Errors (storage/common/result.h): not_found (no such key or upload), unavailable (the store
// did not answer, or answered 5xx: retry later), denied, no_space, invalid_argument, io.
#pragma once

#include "storage/common/result.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::content {

// Every part of a multipart upload but the last must be at least this large (S3's rule).
inline constexpr size_t kMinPartSize = 5 * 1024 * 1024;

// The body of an object, read front to back.
class ObjectStream {
 public:
  virtual ~ObjectStream() = default;
  // Reads the next bytes into `buf` (at most buf.size(), whatever has arrived; never 0 before
  // the end); 0 at the end. Errors: unavailable (the connection broke or stalled).
  virtual Result<size_t> read(std::span<std::byte> buf) = 0;
};

struct ObjectEntry {
  std::string key;  // relative to the bucket's prefix
  uint64_t size = 0;
};

struct UploadedPart {
  int number = 0;    // 1..10000
  std::string etag;  // what put_part answered
};

class Bucket {
 public:
  virtual ~Bucket() = default;

  // Stores `body` as `key`, replacing what was there.
  virtual Result<void> put(std::string_view key, std::string body) = 0;
  // The object's size. Errors: not_found.
  virtual Result<uint64_t> size(std::string_view key) = 0;
  // The object's bytes from `offset`, `length` of them or to the end. Errors: not_found,
  // range_invalid (offset past the end). A stream may hold one of the store's connections,
  // of which there are few (s3::Bucket: 16, callers beyond wait) until it is read to its end
  // or destroyed: a caller on a pool must not keep one between tasks (see BucketReader).
  virtual Result<std::unique_ptr<ObjectStream>> get(std::string_view key, uint64_t offset,
                                                    std::optional<uint64_t> length) = 0;
  // Removes `key`; a missing key is success.
  virtual Result<void> remove(std::string_view key) = 0;
  // Copies the object `from` to `to` inside the store (no bytes through this process).
  // Errors: not_found (no `from`).
  virtual Result<void> copy(std::string_view from, std::string_view to) = 0;
  // Visits the keys starting with `prefix` in ascending order until `fn` returns false.
  virtual Result<void> list(std::string_view prefix,
                            const std::function<bool(const ObjectEntry&)>& fn) = 0;

  // Multipart upload of `key`: start (returns the upload id), parts, complete or abort.
  virtual Result<std::string> start_multipart(std::string_view key) = 0;
  virtual Result<std::string> put_part(std::string_view key, std::string_view upload_id, int number,
                                       std::string body) = 0;
  virtual Result<void> complete_multipart(std::string_view key, std::string_view upload_id,
                                          std::vector<UploadedPart> parts) = 0;
  // Errors: not_found (no such upload).
  virtual Result<void> abort_multipart(std::string_view key, std::string_view upload_id) = 0;

  // A URL anyone may GET `key` from (a Range included) without credentials for `expires`, or
  // nullopt when the store has none (a presigned S3 URL). No I/O.
  virtual std::optional<std::string> presign_get(std::string_view key,
                                                 std::chrono::seconds expires) const {
    (void)key, (void)expires;
    return std::nullopt;
  }
};

}  // namespace cairn::content
