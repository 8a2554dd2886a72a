// Digest: a content address "<algorithm>:<hex>" and the streaming hasher that makes one.
//
// Grammar (OCI image-spec, descriptor.md):
//   digest                ::= algorithm ":" encoded
//   algorithm             ::= algorithm-component (algorithm-separator algorithm-component)*
//   algorithm-component   ::= [a-z0-9]+
//   algorithm-separator   ::= [+._-]
//   encoded               ::= [a-zA-Z0-9=_-]+
// cairn supports sha256 (64 lowercase hex) and sha512 (128 lowercase hex). A digest that fits
// the grammar but names another algorithm is rejected as unsupported (invalid_argument), so a
// Digest value is always one cairn can verify and use as a file name.
#pragma once

#include "storage/common/result.h"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace cairn::content {

enum class Algorithm { sha256, sha512 };

// The name used in digests ("sha256") and the hex length of its encoded part.
std::string_view algorithm_name(Algorithm alg) noexcept;
size_t algorithm_hex_size(Algorithm alg) noexcept;

class Digest {
 public:
  // Parses and validates `text`. Errors: invalid_argument (malformed, or an algorithm cairn
  // does not support; the detail says which).
  static Result<Digest> parse(std::string_view text);

  Digest() = default;  // empty; valid only as a placeholder (empty() is true)

  Algorithm algorithm() const noexcept { return alg_; }
  // The full text, "sha256:ab12...".
  const std::string& str() const noexcept { return text_; }
  // The lowercase hex part, safe as a single path component.
  std::string_view hex() const noexcept;
  bool empty() const noexcept { return text_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) noexcept { return a.text_ == b.text_; }
  friend auto operator<=>(const Digest& a, const Digest& b) noexcept { return a.text_ <=> b.text_; }

 private:
  Digest(Algorithm alg, std::string text) : alg_(alg), text_(std::move(text)) {}
  friend class Hasher;

  Algorithm alg_ = Algorithm::sha256;
  std::string text_;
};

// Incremental hashing over OpenSSL EVP (SHA-NI where the CPU has it). Not thread-safe.
class Hasher {
 public:
  explicit Hasher(Algorithm alg = Algorithm::sha256);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  Algorithm algorithm() const noexcept { return alg_; }
  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  // The digest of everything fed so far; hashing may continue afterwards.
  Digest digest() const;
  // Forgets everything fed so far.
  void reset();
  // A hasher in the same state, to continue separately (e.g. to go back to if a write fails).
  Hasher clone() const;

 private:
  Algorithm alg_;
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// The digest of `data` in one call.
Digest digest_of(std::string_view data, Algorithm alg = Algorithm::sha256);

}  // namespace cairn::content
