// FleetLock: a reader/writer lock over the threads of this process and, when the metadata engine
// is shared by several processes (Engine::shared(): replicas over one PostgreSQL database), over
// all of them: the in-process std::shared_mutex first, then the engine's lock of the same name
// (Engine::hold; a PostgreSQL advisory lock). A process that holds it keeps every other process
// out as it keeps its own threads out.
//
// Taking it may fail (the engine is unreachable); a Held that owns it releases the engine's lock
// first, then the in-process one.
#pragma once

#include "storage/common/result.h"
#include "storage/metadata/engine.h"

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

namespace cairn::metadata {

class FleetLock {
 public:
  FleetLock(Engine& engine, std::string name) : engine_(engine), name_(std::move(name)) {}
  FleetLock(const FleetLock&) = delete;
  FleetLock& operator=(const FleetLock&) = delete;

  // The lock as held: exclusively or shared, until unlock() or destruction.
  class Held {
   public:
    Held() = default;
    Held(Held&&) noexcept = default;
    Held& operator=(Held&& other) noexcept {
      unlock();
      lock_ = std::exchange(other.lock_, nullptr);
      exclusive_ = std::move(other.exclusive_);
      shared_ = std::move(other.shared_);
      fleet_ = std::move(other.fleet_);
      return *this;
    }
    ~Held() { unlock(); }

    // Whether this holds `lock` exclusively.
    bool holds_exclusive(const FleetLock& lock) const noexcept {
      return lock_ == &lock && exclusive_.owns_lock();
    }
    void unlock() noexcept {
      fleet_.reset();
      if (exclusive_.owns_lock())
        exclusive_.unlock();
      if (shared_.owns_lock())
        shared_.unlock();
      lock_ = nullptr;
    }

   private:
    friend class FleetLock;
    const FleetLock* lock_ = nullptr;
    std::unique_lock<std::shared_mutex> exclusive_;
    std::shared_lock<std::shared_mutex> shared_;
    std::unique_ptr<Hold> fleet_;
  };

  // Takes it exclusively: waits for every holder in every process. Errors: unavailable, io.
  Result<Held> lock() { return take(/*exclusive=*/true); }
  // Takes it shared. Errors: unavailable, io.
  Result<Held> lock_shared() { return take(/*exclusive=*/false); }

  // The in-process half alone, for a holder whose engine side is taken another way (a
  // Database::Update's transaction holds the GC lock shared in the engine itself).
  std::shared_mutex& local() noexcept { return local_; }
  const std::string& name() const noexcept { return name_; }

 private:
  Result<Held> take(bool exclusive) {
    Held held;
    held.lock_ = this;
    if (exclusive)
      held.exclusive_ = std::unique_lock<std::shared_mutex>(local_);
    else
      held.shared_ = std::shared_lock<std::shared_mutex>(local_);
    auto fleet = engine_.hold(name_, exclusive);
    if (!fleet)
      return fleet.error();  // `held` releases the in-process lock
    held.fleet_ = std::move(*fleet);
    return held;
  }

  Engine& engine_;
  const std::string name_;
  std::shared_mutex local_;
};

}  // namespace cairn::metadata
