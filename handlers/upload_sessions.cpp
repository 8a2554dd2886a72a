#include "handlers/upload_sessions.h"

#include <vector>

namespace cairn::handlers {

UploadSessions::UploadSessions(size_t max_idle, std::chrono::seconds idle_limit, const Clock& clock)
    : max_idle_(max_idle), idle_limit_(idle_limit), clock_(clock) {}

UploadSessions::~UploadSessions() = default;

std::string UploadSessions::key_of(std::string_view ns, std::string_view ref) {
  std::string key(ns);
  key += '\0';
  key += ref;
  return key;
}

std::unique_ptr<content::Writer> UploadSessions::take(std::string_view ns, std::string_view ref) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key_of(ns, ref));
  if (it == index_.end())
    return nullptr;
  auto writer = std::move(it->second->writer);
  lru_.erase(it->second);
  index_.erase(it);
  return writer;
}

void UploadSessions::put(std::string_view ns, std::string_view ref,
                         std::unique_ptr<content::Writer> writer) {
  std::vector<std::unique_ptr<content::Writer>> closing;  // closed outside the lock
  std::lock_guard lock(mu_);
  std::string key = key_of(ns, ref);
  if (auto it = index_.find(key); it != index_.end()) {
    closing.push_back(std::move(it->second->writer));
    lru_.erase(it->second);
    index_.erase(it);
  }
  // Make room, and close what has idled too long while we are here.
  Timestamp now = clock_.now();
  while (!lru_.empty() &&
         (lru_.size() >= max_idle_ || lru_.front().parked_at <= now - idle_limit_)) {
    closing.push_back(std::move(lru_.front().writer));
    index_.erase(lru_.front().key);
    lru_.pop_front();
  }
  lru_.push_back(Entry{key, std::move(writer), now});
  index_.emplace(std::move(key), std::prev(lru_.end()));
}

void UploadSessions::drop(std::string_view ns, std::string_view ref) {
  take(ns, ref).reset();
}

size_t UploadSessions::expire() {
  std::vector<std::unique_ptr<content::Writer>> closing;
  {
    std::lock_guard lock(mu_);
    Timestamp cutoff = clock_.now() - idle_limit_;
    while (!lru_.empty() && lru_.front().parked_at <= cutoff) {
      closing.push_back(std::move(lru_.front().writer));
      index_.erase(lru_.front().key);
      lru_.pop_front();
    }
  }
  return closing.size();
}

size_t UploadSessions::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace cairn::handlers
