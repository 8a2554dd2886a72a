#include "storage/content/dir_sync.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace cairn::content {
namespace {

TEST(DirSync, NothingPendingNeedsNoFsync) {
  cairn::testing::TempDir dir;
  // A directory that does not exist: any fsync of it fails, so success proves none was tried.
  DirSync sync(posix_file_system(), dir / "absent");
  EXPECT_FALSE(sync.pending());
  EXPECT_TRUE(sync.sync_pending().has_value());
  EXPECT_TRUE(sync.sync(0).has_value());
}

TEST(DirSync, AChangeIsSyncedOrItsErrorReported) {
  cairn::testing::TempDir dir;
  DirSync missing(posix_file_system(), dir / "absent");
  const uint64_t t = missing.changed();
  EXPECT_TRUE(missing.pending());
  auto r = missing.sync(t);
  ASSERT_FALSE(r.has_value());     // not_found: the directory cannot even be opened
  EXPECT_TRUE(missing.pending());  // a failed fsync covers nothing

  DirSync present(posix_file_system(), dir.path());
  const uint64_t a = present.changed();
  const uint64_t b = present.changed();
  EXPECT_LT(a, b);
  ASSERT_TRUE(present.sync(a).has_value());
  // The fsync that covered `a` started after `b` was noted, so it covers `b` too.
  EXPECT_FALSE(present.pending());
  EXPECT_TRUE(present.sync(b).has_value());
}

TEST(DirSync, ConcurrentCommitsAllReturnSynced) {
  cairn::testing::TempDir dir;
  DirSync sync(posix_file_system(), dir.path());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!sync.sync(sync.changed()))
          ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_FALSE(sync.pending());
}

}  // namespace
}  // namespace cairn::content
