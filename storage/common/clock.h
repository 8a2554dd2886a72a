// Clock: where storage/ reads the time, so tests can move it by hand.
//
// Every timestamp storage/ records (created_at, updated_at, expiry) comes from a Clock passed
// in at construction. SystemClock is the real one; ManualClock is for tests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace cairn {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

// Nanoseconds since the Unix epoch, the form timestamps take on disk.
inline int64_t to_unix_nanos(Timestamp t) {
  return t.time_since_epoch().count();
}
inline Timestamp from_unix_nanos(int64_t n) {
  return Timestamp(std::chrono::nanoseconds(n));
}

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time. Thread-safe.
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  }
  // A process-wide instance, for callers that do not inject one.
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start = from_unix_nanos(1'700'000'000'000'000'000))
      : nanos_(to_unix_nanos(start)) {}
  Timestamp now() const override { return from_unix_nanos(nanos_.load()); }
  void advance(std::chrono::nanoseconds d) { nanos_ += d.count(); }
  void set(Timestamp t) { nanos_ = to_unix_nanos(t); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace cairn
