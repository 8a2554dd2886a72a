#include "storage/content/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace cairn::content {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_lower_hex(char c) {
  return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}
bool is_encoded_char(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '=' || c == '_' || c == '-';
}
bool is_alg_separator(char c) {
  return c == '+' || c == '.' || c == '_' || c == '-';
}

bool valid_algorithm_grammar(std::string_view alg) {
  if (alg.empty() || !is_lower_alnum(alg.front()) || !is_lower_alnum(alg.back()))
    return false;
  for (size_t i = 0; i < alg.size(); ++i) {
    char c = alg[i];
    if (is_alg_separator(c)) {
      if (!is_lower_alnum(alg[i + 1]))
        return false;  // no two separators in a row
    } else if (!is_lower_alnum(c)) {
      return false;
    }
  }
  return true;
}

const EVP_MD* evp_of(Algorithm alg) {
  return alg == Algorithm::sha256 ? EVP_sha256() : EVP_sha512();
}

}  // namespace

std::string_view algorithm_name(Algorithm alg) noexcept {
  return alg == Algorithm::sha256 ? "sha256" : "sha512";
}

size_t algorithm_hex_size(Algorithm alg) noexcept {
  return alg == Algorithm::sha256 ? 64 : 128;
}

std::string_view Digest::hex() const noexcept {
  std::string_view t = text_;
  return t.substr(t.find(':') + 1);
}

Result<Digest> Digest::parse(std::string_view text) {
  constexpr size_t kMaxDigestText = 256;
  if (text.size() > kMaxDigestText)
    return fail(Errc::invalid_argument, "digest too long");
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(Errc::invalid_argument,
                "digest has no algorithm: " + std::string(text.substr(0, 80)));
  }
  std::string_view alg = text.substr(0, colon);
  std::string_view enc = text.substr(colon + 1);
  if (!valid_algorithm_grammar(alg) || enc.empty()) {
    return fail(Errc::invalid_argument, "malformed digest");
  }
  for (char c : enc) {
    if (!is_encoded_char(c))
      return fail(Errc::invalid_argument, "malformed digest");
  }
  Algorithm a;
  if (alg == "sha256") {
    a = Algorithm::sha256;
  } else if (alg == "sha512") {
    a = Algorithm::sha512;
  } else {
    return fail(Errc::invalid_argument, "unsupported digest algorithm: " + std::string(alg));
  }
  if (enc.size() != algorithm_hex_size(a)) {
    return fail(Errc::invalid_argument, "digest has the wrong length for " + std::string(alg));
  }
  for (char c : enc) {
    if (!is_lower_hex(c))
      return fail(Errc::invalid_argument, "digest is not lowercase hex");
  }
  return Digest(a, std::string(text));
}

struct Hasher::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Hasher::Hasher(Algorithm alg) : alg_(alg), ctx_(std::make_unique<Ctx>()) {
  if (ctx_->md == nullptr)
    throw std::bad_alloc();
  reset();
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::reset() {
  EVP_DigestInit_ex(ctx_->md, evp_of(alg_), nullptr);
}

Hasher Hasher::clone() const {
  Hasher copy(alg_);
  if (EVP_MD_CTX_copy_ex(copy.ctx_->md, ctx_->md) != 1)
    throw std::bad_alloc();
  return copy;
}

void Hasher::update(std::span<const std::byte> data) {
  EVP_DigestUpdate(ctx_->md, data.data(), data.size());
}

void Hasher::update(std::string_view data) {
  EVP_DigestUpdate(ctx_->md, data.data(), data.size());
}

Digest Hasher::digest() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  if (copy == nullptr)
    throw std::bad_alloc();
  EVP_MD_CTX_copy_ex(copy, ctx_->md);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(copy, out, &n);
  EVP_MD_CTX_free(copy);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(algorithm_name(alg_));
  text += ':';
  for (unsigned int i = 0; i < n; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 0xf];
  }
  return Digest(alg_, std::move(text));
}

Digest digest_of(std::string_view data, Algorithm alg) {
  Hasher h(alg);
  h.update(data);
  return h.digest();
}

}  // namespace cairn::content
