#include "storage/common/clock.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(from_unix_nanos(1000));
  EXPECT_EQ(to_unix_nanos(clock.now()), 1000);
  EXPECT_EQ(clock.now(), clock.now());
  clock.advance(std::chrono::nanoseconds(5));
  EXPECT_EQ(to_unix_nanos(clock.now()), 1005);
  clock.set(from_unix_nanos(42));
  EXPECT_EQ(to_unix_nanos(clock.now()), 42);
}

TEST(SystemClock, IsAfter2020) {
  EXPECT_GT(to_unix_nanos(SystemClock::instance().now()), 1'577'836'800'000'000'000);
}

}  // namespace
}  // namespace cairn
