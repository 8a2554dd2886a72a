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
  std::lock_guard lock(mu_);
  auto it = expiry_.find(key);
  return it != expiry_.end() && now < it->second;
}

void CredentialCache::remember(const Key& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (capacity_ == 0)
    return;
  if (auto it = expiry_.find(key); it != expiry_.end()) {
    it->second = now + ttl_;
    return;
  }
  // Drop from the front: the oldest insertions, expired or not, until there is room. An entry
  // refreshed since keeps its old place; it is only evicted somewhat early.
  while (expiry_.size() >= capacity_ && !order_.empty()) {
    expiry_.erase(order_.front());
    order_.pop_front();
  }
  while (!order_.empty()) {
    auto front = expiry_.find(order_.front());
    if (front != expiry_.end() && now < front->second)
      break;
    if (front != expiry_.end())
      expiry_.erase(front);
    order_.pop_front();
  }
  expiry_.emplace(key, now + ttl_);
  order_.push_back(key);
}

size_t CredentialCache::size() const {
  std::lock_guard lock(mu_);
  return expiry_.size();
}

}  // namespace cairn::auth
