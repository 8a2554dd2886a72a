#include "storage/content/resumable_hasher.h"

// The low-level digest API is deprecated in OpenSSL 3 in favour of EVP, which cannot export a
// midstate; it is still built and exported, and this file is its only user.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstring>

namespace cairn::content {

struct ResumableHasher::Ctx {
  SHA256_CTX sha256;
  SHA512_CTX sha512;
};

namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

// The byte count a context holds (OpenSSL keeps it in bits, in two words).
uint64_t bytes_in(const SHA256_CTX& c) {
  return ((static_cast<uint64_t>(c.Nh) << 32) | c.Nl) / 8;
}
uint64_t bytes_in(const SHA512_CTX& c) {
  return static_cast<uint64_t>(c.Nl / 8) | (static_cast<uint64_t>(c.Nh) << 61);
}

}  // namespace

ResumableHasher::ResumableHasher(Algorithm alg) : alg_(alg), ctx_(std::make_unique<Ctx>()) {
  if (alg_ == Algorithm::sha256)
    SHA256_Init(&ctx_->sha256);
  else
    SHA512_Init(&ctx_->sha512);
}

ResumableHasher::~ResumableHasher() = default;

ResumableHasher::ResumableHasher(const ResumableHasher& other)
    : alg_(other.alg_), size_(other.size_), ctx_(std::make_unique<Ctx>(*other.ctx_)) {}

ResumableHasher& ResumableHasher::operator=(const ResumableHasher& other) {
  if (this != &other) {
    alg_ = other.alg_;
    size_ = other.size_;
    *ctx_ = *other.ctx_;
  }
  return *this;
}

void ResumableHasher::update(std::span<const std::byte> data) {
  if (alg_ == Algorithm::sha256)
    SHA256_Update(&ctx_->sha256, data.data(), data.size());
  else
    SHA512_Update(&ctx_->sha512, data.data(), data.size());
  size_ += data.size();
}

void ResumableHasher::update(std::string_view data) {
  update(std::as_bytes(std::span<const char>(data.data(), data.size())));
}

Digest ResumableHasher::digest() const {
  unsigned char out[SHA512_DIGEST_LENGTH];
  size_t n = 0;
  Ctx copy = *ctx_;
  if (alg_ == Algorithm::sha256) {
    SHA256_Final(out, &copy.sha256);
    n = SHA256_DIGEST_LENGTH;
  } else {
    SHA512_Final(out, &copy.sha512);
    n = SHA512_DIGEST_LENGTH;
  }
  std::string text(algorithm_name(alg_));
  text += ':';
  for (size_t i = 0; i < n; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 0xf];
  }
  return Digest::parse(text).value();
}

std::string ResumableHasher::save() const {
  const auto* p = alg_ == Algorithm::sha256 ? reinterpret_cast<const unsigned char*>(&ctx_->sha256)
                                            : reinterpret_cast<const unsigned char*>(&ctx_->sha512);
  const size_t n = alg_ == Algorithm::sha256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX);
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 0xf];
  }
  return out;
}

Result<ResumableHasher> ResumableHasher::restore(Algorithm alg, std::string_view saved,
                                                 uint64_t size) {
  ResumableHasher h(alg);
  auto* p = alg == Algorithm::sha256 ? reinterpret_cast<unsigned char*>(&h.ctx_->sha256)
                                     : reinterpret_cast<unsigned char*>(&h.ctx_->sha512);
  const size_t n = alg == Algorithm::sha256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX);
  if (saved.size() != 2 * n)
    return fail(Errc::invalid_argument, "saved hash state has the wrong size");
  for (size_t i = 0; i < n; ++i) {
    const int hi = hex_value(saved[2 * i]);
    const int lo = hex_value(saved[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return fail(Errc::invalid_argument, "saved hash state is not lowercase hex");
    p[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  const bool counts =
      alg == Algorithm::sha256
          ? bytes_in(h.ctx_->sha256) == size && h.ctx_->sha256.md_len == SHA256_DIGEST_LENGTH
          : bytes_in(h.ctx_->sha512) == size && h.ctx_->sha512.md_len == SHA512_DIGEST_LENGTH;
  const unsigned num = alg == Algorithm::sha256 ? h.ctx_->sha256.num : h.ctx_->sha512.num;
  const unsigned block = alg == Algorithm::sha256 ? SHA256_CBLOCK : SHA512_CBLOCK;
  if (!counts || num >= block || num != size % block)
    return fail(Errc::invalid_argument, "saved hash state does not match its byte count");
  h.size_ = size;
  return h;
}

}  // namespace cairn::content
