// RateLimiter: paces a reader to a bandwidth (bytes per second), for the background scrub.
//
// The reader reports each piece it read; the limiter answers how long to wait before the next
// so that the bytes read since start() never run ahead of rate × elapsed by more than one
// `burst`. Time comes from a function (steady clock by default), so tests drive it by hand.
// Not thread-safe: one reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace cairn::fsck {

class RateLimiter {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  // `rate` bytes/s; 0 or less: no limit. `burst`: the bytes it may run ahead.
  explicit RateLimiter(int64_t rate, int64_t burst = 1 << 20, Now now = {})
      : rate_(rate), burst_(burst), now_(now ? std::move(now) : Now(&steady_now)) {
    start_ = now_();
  }

  bool limited() const noexcept { return rate_ > 0; }

  // Counts `bytes` read and returns how long to wait before reading on (zero when in time).
  std::chrono::nanoseconds consume(int64_t bytes) {
    if (rate_ <= 0)
      return std::chrono::nanoseconds(0);
    done_ += bytes;
    const auto elapsed = now_() - start_;
    // When the reader may have read `done_ - burst_` bytes at `rate_`.
    const int64_t ahead = done_ - burst_;
    if (ahead <= 0)
      return std::chrono::nanoseconds(0);
    const auto due = std::chrono::nanoseconds(
        static_cast<int64_t>(static_cast<long double>(ahead) * 1e9L / rate_));
    const auto wait = due - std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed);
    if (wait > std::chrono::nanoseconds(0))
      return wait;
    // Behind the rate (the reader was slow or idle): bank none of it beyond the burst.
    start_ = now_() - due;
    return std::chrono::nanoseconds(0);
  }

 private:
  static std::chrono::steady_clock::time_point steady_now() {
    return std::chrono::steady_clock::now();
  }

  int64_t rate_;
  int64_t burst_;
  Now now_;
  std::chrono::steady_clock::time_point start_;
  int64_t done_ = 0;
};

}  // namespace cairn::fsck
