// RefLocks: the table that lets at most one Writer hold an ingest ref in a process.
//
// A writer takes its ref before touching the ingest directory and keeps the Guard until it is
// destroyed. Other callers that must not race a writer (abort, stale-ingest clean-up) take the
// ref without waiting. While held, a ref carries a small Live record (offset, updated time)
// that the holder publishes so Store::status can answer without waiting for lazy records.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::content {

class RefLocks {
 public:
  // What the holder of a ref publishes. Readers may see a slightly stale pair.
  struct Live {
    std::atomic<int64_t> offset{0};
    std::atomic<int64_t> updated_nanos{0};
  };

  // Holds a ref until destroyed. Move-only. Must not outlive its RefLocks.
  class Guard {
   public:
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&&) = delete;
    Guard(const Guard&) = delete;
    ~Guard();
    Live& live() { return *live_; }

   private:
    friend class RefLocks;
    Guard(RefLocks* table, std::string ref, std::shared_ptr<Live> live)
        : table_(table), ref_(std::move(ref)), live_(std::move(live)) {}
    RefLocks* table_;
    std::string ref_;
    std::shared_ptr<Live> live_;
  };

  // Takes `ref`, waiting up to `wait` for its holder to let go. Returns nullopt when it is
  // still held after the wait (a zero wait only tries). Thread-safe; blocks up to `wait`.
  std::optional<Guard> acquire(std::string_view ref, std::chrono::milliseconds wait);

  // The Live record of a held ref, or null when nobody holds it. Thread-safe.
  std::shared_ptr<const Live> live(std::string_view ref) const;

 private:
  void release(const std::string& ref);

  mutable std::mutex mu_;
  std::condition_variable released_;
  std::map<std::string, std::shared_ptr<Live>, std::less<>> held_;
};

}  // namespace cairn::content
