// TokenCache: Bearer tokens verified recently, with their claims, so that a client sending the
// same token with every request pays the ES256 signature check once, not per request (the
// bench measured token-authenticated HEADs at 0.15x of Basic ones while every request verified
// its signature). Entries are keyed by SHA-256 of the token, last until the token's expiry (plus
// the verifier's leeway), and the cache is bounded (auth/expiring_map.h). Only tokens that
// verified are remembered, so a cached token is one verify_jwt() accepted.
#pragma once

#include "auth/expiring_map.h"
#include "auth/jwt.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn::auth {

class TokenCache {
 public:
  explicit TokenCache(size_t capacity = 4096) : map_(capacity) {}

  // The claims of `token` when it was remembered and has not expired at `now` (seconds since
  // the epoch). Thread-safe.
  std::optional<Claims> find(std::string_view token, int64_t now) const;
  // Remembers the claims of a verified `token` until `until` (seconds since the epoch).
  // Thread-safe.
  void remember(std::string_view token, const Claims& claims, int64_t until, int64_t now);

  size_t size() const { return map_.size(); }

 private:
  using Key = std::array<unsigned char, 32>;
  using Clock = std::chrono::system_clock;
  static Key key_of(std::string_view token);
  ExpiringMap<Key, Claims, Clock> map_;
};

}  // namespace cairn::auth
