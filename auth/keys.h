// Token keys: the EC P-256 key cairn signs its tokens with (ES256), and the set of public keys
// it verifies tokens against.
//
// - Signing key: `--token-key FILE` names a PEM private key; when the file does not exist one
//   is generated at start and written there (mode 0600) so tokens survive a restart. Without
//   the flag a key is generated in memory.
// - Verification keys: cairn's own key, or (external token server mode, `--token-public-key
//   FILE`) PEM public keys / certificates, or a JWKS document {"keys": [{"kty": "EC",
//   "crv": "P-256", "x", "y", "kid"}]}. A JWKS key is used only for tokens whose header names
//   its `kid`; a PEM key for any token.
#pragma once

#include "storage/common/result.h"

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::auth {

using KeyPtr = std::shared_ptr<EVP_PKEY>;

// An EC P-256 key pair.
class SigningKey {
 public:
  // A fresh key. Errors: internal (OpenSSL failed).
  static Result<SigningKey> generate();
  // Parses a PEM private key. Errors: invalid_argument (not PEM, not EC, not P-256).
  static Result<SigningKey> from_pem(std::string_view pem);
  // Reads `path`; when it does not exist, generates a key and writes it there with mode 0600.
  // Errors: io (unreadable, unwritable), invalid_argument (a file that is not such a key).
  // Blocking (start-up).
  static Result<SigningKey> load_or_create(const std::string& path);

  // The private key as PKCS#8 PEM.
  std::string private_pem() const;
  // The public key as SubjectPublicKeyInfo PEM.
  std::string public_pem() const;
  // The public key as a JWK object {"kty":"EC","crv":"P-256","x","y","kid"} (JSON text).
  std::string public_jwk() const;
  // The RFC 7638 JWK thumbprint of the public key (base64url): the `kid` of signed tokens.
  const std::string& kid() const { return kid_; }
  EVP_PKEY* pkey() const { return key_.get(); }
  const KeyPtr& shared() const { return key_; }

 private:
  KeyPtr key_;
  std::string kid_;
};

// The public keys tokens are verified against.
class KeySet {
 public:
  struct Key {
    std::string kid;  // empty: matches any token
    KeyPtr pkey;
  };
  explicit KeySet(std::vector<Key> keys) : keys_(std::move(keys)) {}
  // Parses PEM (public keys and/or certificates, one or more) or a JWKS JSON document
  // (at most 1 MiB). Errors: invalid_argument naming what is wrong (no key at all, a key that
  // is not EC P-256, malformed x/y). Pure.
  static Result<KeySet> parse(std::string_view text);
  // Reads and parses `path`. Errors: io, and those of parse. Blocking (start-up).
  static Result<KeySet> load(const std::string& path);
  // The public half of `key`, under its kid.
  static KeySet of(const SigningKey& key);

  // The keys a token with header `kid` may be verified with.
  std::vector<EVP_PKEY*> candidates(std::string_view kid) const;
  size_t size() const { return keys_.size(); }

 private:
  std::vector<Key> keys_;
};

// The RFC 7638 thumbprint of an EC P-256 public key, or "" when it is not one.
std::string jwk_thumbprint(EVP_PKEY* pkey);

// Reads a whole file given at start-up (a key, a policy). Errors: io. Blocking.
Result<std::string> read_file(const std::string& path);

}  // namespace cairn::auth
