#include "storage/content/ref_locks.h"

#include <utility>

namespace cairn::content {

RefLocks::Guard::Guard(Guard&& other) noexcept
    : table_(std::exchange(other.table_, nullptr)),
      ref_(std::move(other.ref_)),
      live_(std::move(other.live_)) {}

RefLocks::Guard::~Guard() {
  if (table_ != nullptr)
    table_->release(ref_);
}

std::optional<RefLocks::Guard> RefLocks::acquire(std::string_view ref,
                                                 std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  auto free = [&] { return held_.find(ref) == held_.end(); };
  if (!free()) {
    if (wait.count() <= 0)
      return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + wait;
    if (!released_.wait_until(lock, deadline, free))
      return std::nullopt;
  }
  auto live = std::make_shared<Live>();
  held_.emplace(std::string(ref), live);
  return Guard(this, std::string(ref), std::move(live));
}

std::shared_ptr<const RefLocks::Live> RefLocks::live(std::string_view ref) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(ref);
  if (it == held_.end())
    return nullptr;
  return it->second;
}

void RefLocks::release(const std::string& ref) {
  {
    std::lock_guard lock(mu_);
    held_.erase(ref);
  }
  // Waiters wait for different refs; wake them all and let each re-check its own.
  released_.notify_all();
}

}  // namespace cairn::content
