#include "storage/fsck/rate_limiter.h"

#include <gtest/gtest.h>

namespace cairn::fsck {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiterTest, UnlimitedNeverWaits) {
  RateLimiter r(0);
  EXPECT_FALSE(r.limited());
  EXPECT_EQ(r.consume(int64_t{1} << 40), 0ns);
}

TEST(RateLimiterTest, PacesToTheRateAfterOneBurst) {
  std::chrono::steady_clock::time_point t{};
  RateLimiter r(1000, 100, [&] { return t; });
  EXPECT_EQ(r.consume(100), 0ns);    // the burst
  EXPECT_EQ(r.consume(500), 500ms);  // 500 bytes ahead at 1000 B/s
  t += 500ms;
  EXPECT_EQ(r.consume(0), 0ns);  // caught up
  EXPECT_EQ(r.consume(1000), 1s);
  t += 3s;  // idle time is not banked beyond the burst...
  EXPECT_EQ(r.consume(100), 0ns);
}

}  // namespace
}  // namespace cairn::fsck
