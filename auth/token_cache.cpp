#include "auth/token_cache.h"

#include <openssl/evp.h>

namespace cairn::auth {
namespace {

std::chrono::system_clock::time_point at(int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

}  // namespace

TokenCache::Key TokenCache::key_of(std::string_view token) {
  Key key{};
  unsigned len = 0;
  EVP_Digest(token.data(), token.size(), key.data(), &len, EVP_sha256(), nullptr);
  return key;
}

std::optional<Claims> TokenCache::find(std::string_view token, int64_t now) const {
  return map_.find(key_of(token), at(now));
}

void TokenCache::remember(std::string_view token, const Claims& claims, int64_t until,
                          int64_t now) {
  if (until > now)
    map_.put(key_of(token), claims, at(until), at(now));
}

}  // namespace cairn::auth
