#include "storage/content/ref_locks.h"

#include <gtest/gtest.h>

#include <thread>

namespace cairn::content {
namespace {

using std::chrono::milliseconds;

TEST(RefLocks, OneHolderPerRef) {
  RefLocks locks;
  auto a = locks.acquire("a", milliseconds(0));
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(locks.acquire("a", milliseconds(0)).has_value());
  EXPECT_FALSE(locks.acquire("a", milliseconds(5)).has_value());  // bounded wait, then no
  EXPECT_TRUE(locks.acquire("b", milliseconds(0)).has_value());
  a.reset();
  EXPECT_TRUE(locks.acquire("a", milliseconds(0)).has_value());
}

TEST(RefLocks, LiveRecordIsVisibleWhileHeld) {
  RefLocks locks;
  EXPECT_EQ(locks.live("x"), nullptr);
  auto g = locks.acquire("x", milliseconds(0));
  ASSERT_TRUE(g.has_value());
  g->live().offset = 12;
  auto live = locks.live("x");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->offset.load(), 12);
  RefLocks::Guard moved = std::move(*g);
  g.reset();  // the moved-from guard releases nothing
  EXPECT_NE(locks.live("x"), nullptr);
}

TEST(RefLocks, WaiterWakesOnRelease) {
  RefLocks locks;
  auto held = locks.acquire("r", milliseconds(0));
  ASSERT_TRUE(held.has_value());
  bool got = false;
  std::thread t([&] { got = locks.acquire("r", std::chrono::minutes(1)).has_value(); });
  held.reset();
  t.join();
  EXPECT_TRUE(got);
}

}  // namespace
}  // namespace cairn::content
