// CredentialCache: the (user, password) pairs verified recently, so that a client sending
// Basic credentials with every request pays bcrypt once per expiry, not per request. Entries
// are keyed by SHA-256 of the pair (the password itself is never kept), expire after a short
// time, and the cache is bounded (auth/expiring_map.h).
#pragma once

#include "auth/expiring_map.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string_view>

namespace cairn::auth {

class CredentialCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Key = std::array<unsigned char, 32>;

  CredentialCache(size_t capacity = 4096, Clock::duration ttl = std::chrono::seconds(60))
      : map_(capacity), ttl_(ttl) {}

  // SHA-256 of user, a NUL, and password. Pure.
  static Key key_of(std::string_view user, std::string_view password);

  // True when `key` was remembered less than the expiry ago (at `now`). Thread-safe.
  bool contains(const Key& key, Clock::time_point now) const;
  // Remembers `key` as verified at `now`. Thread-safe.
  void remember(const Key& key, Clock::time_point now);

  size_t size() const;

 private:
  ExpiringMap<Key, bool, Clock> map_;
  Clock::duration ttl_;
};

}  // namespace cairn::auth
