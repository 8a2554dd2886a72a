// ResumableHasher: a SHA-256/SHA-512 hasher whose state can be saved as text and restored in
// another process, so an ingest whose bytes went to an object store (where the parts of an
// unfinished multipart upload cannot be read back) resumes hashing where it stopped.
//
// It runs OpenSSL's SHA256_*/SHA512_* functions (the same block code EVP uses, SHA-NI where the
// CPU has it) because EVP offers no way to export a digest's midstate. The saved text is the
// hex of the context structure: valid between processes of the same build and OpenSSL ABI (the
// replicas of one deployment), and checked for its size and its byte count when restored.
#pragma once

#include "storage/common/result.h"
#include "storage/content/digest.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace cairn::content {

class ResumableHasher {
 public:
  explicit ResumableHasher(Algorithm alg = Algorithm::sha256);
  ~ResumableHasher();
  ResumableHasher(const ResumableHasher& other);
  ResumableHasher& operator=(const ResumableHasher& other);

  Algorithm algorithm() const noexcept { return alg_; }
  // Bytes fed so far.
  uint64_t size() const noexcept { return size_; }
  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  // The digest of everything fed so far; hashing may continue afterwards.
  Digest digest() const;

  // The state as lowercase hex text (what restore() takes).
  std::string save() const;
  // The hasher of algorithm `alg` that was saved as `saved` after `size` bytes. Errors:
  // invalid_argument (not a state of this algorithm and build, or its byte count is not `size`).
  static Result<ResumableHasher> restore(Algorithm alg, std::string_view saved, uint64_t size);

 private:
  struct Ctx;
  Algorithm alg_;
  uint64_t size_ = 0;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace cairn::content
