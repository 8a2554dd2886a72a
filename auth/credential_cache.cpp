#include "auth/credential_cache.h"

#include <openssl/evp.h>

namespace cairn::auth {

CredentialCache::Key CredentialCache::key_of(std::string_view user, std::string_view password) {
  Key key{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  const char zero = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, user.data(), user.size());
  EVP_DigestUpdate(ctx, &zero, 1);
  EVP_DigestUpdate(ctx, password.data(), password.size());
  EVP_DigestFinal_ex(ctx, key.data(), &len);
  EVP_MD_CTX_free(ctx);
  return key;
}

bool CredentialCache::contains(const Key& key, Clock::time_point now) const {
  return map_.find(key, now).has_value();
}

void CredentialCache::remember(const Key& key, Clock::time_point now) {
  map_.put(key, true, now + ttl_, now);
}

size_t CredentialCache::size() const {
  return map_.size();
}

}  // namespace cairn::auth
