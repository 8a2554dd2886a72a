// ExpiringMap: a bounded, thread-safe map whose entries expire — what the auth caches share
// (verified passwords, verified tokens). When it is full, expired entries go first, then the
// oldest insertions (an entry refreshed since keeps its old place: it is only evicted early).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

namespace cairn::auth {

template <class Key, class Value, class Clock = std::chrono::steady_clock>
class ExpiringMap {
 public:
  using TimePoint = typename Clock::time_point;

  explicit ExpiringMap(size_t capacity) : capacity_(capacity) {}

  // The value under `key` while `now` is before its expiry. Thread-safe.
  std::optional<Value> find(const Key& key, TimePoint now) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || !(now < it->second.until))
      return std::nullopt;
    return it->second.value;
  }

  // Puts `value` under `key` until `until` (replacing what was there). Thread-safe.
  void put(const Key& key, Value value, TimePoint until, TimePoint now) {
    std::lock_guard lock(mu_);
    if (capacity_ == 0)
      return;
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second = {std::move(value), until};
      return;
    }
    while (entries_.size() >= capacity_ && !order_.empty()) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    while (!order_.empty()) {
      auto front = entries_.find(order_.front());
      if (front != entries_.end() && now < front->second.until)
        break;
      if (front != entries_.end())
        entries_.erase(front);
      order_.pop_front();
    }
    entries_.emplace(key, Entry{std::move(value), until});
    order_.push_back(key);
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    Value value;
    TimePoint until;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;
  std::deque<Key> order_;  // insertion order, for eviction
};

}  // namespace cairn::auth
