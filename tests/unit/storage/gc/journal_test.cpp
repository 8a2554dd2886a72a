// The Database hooks GC relies on: the change journal and remove_exclusive().
#include "storage/metadata/db.h"

#include "storage/common/clock.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace cairn::metadata {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  JournalTest() {
    DatabaseOptions o;
    o.clock = &clock_;
    db_ = Database::open(dir_ / "meta", o).value();
  }

  void write(std::string_view key, bool remove = false, bool dirty = false) {
    auto u = db_->begin({key});
    if (remove)
      u.remove(key);
    else
      u.put(key, "v");
    if (dirty)
      u.mark_dirty();
    ASSERT_TRUE(u.commit());
  }

  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Database> db_;
};

TEST_F(JournalTest, RecordsKeysOnlyWhileOn) {
  write("before");
  {
    auto lock = db_->lock_exclusive().value();
    ASSERT_TRUE(db_->start_journal(lock));
  }
  write("a");
  write("b", /*remove=*/true);
  Database::Journal j = db_->take_journal();
  EXPECT_EQ(j.keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(j.dirty);
  EXPECT_FALSE(j.overflowed);
  write("c", false, /*dirty=*/true);
  j = db_->take_journal();
  EXPECT_EQ(j.keys, (std::vector<std::string>{"c"}));
  EXPECT_TRUE(j.dirty);
  db_->stop_journal();
  write("d");
  EXPECT_TRUE(db_->take_journal().keys.empty());
}

TEST_F(JournalTest, StartNeedsThisDatabasesLock) {
  metadata::FleetLock other(db_->engine(), "other");
  auto foreign = other.lock().value();
  EXPECT_EQ(db_->start_journal(foreign).error().code, Errc::failed_precondition);
  std::vector<std::string> keys{"x"};
  EXPECT_EQ(db_->remove_exclusive(foreign, keys).error().code, Errc::failed_precondition);
  metadata::FleetLock::Held none;
  EXPECT_EQ(db_->start_journal(none).error().code, Errc::failed_precondition);
}

TEST_F(JournalTest, RemoveExclusiveDeletesInOneBatchWithoutCallbacks) {
  write("k1");
  write("k2");
  write("k3");
  int calls = 0;
  db_->on_mutation([&](bool) { ++calls; });
  auto lock = db_->lock_exclusive().value();
  std::vector<std::string> keys{"k1", "k3", "missing"};
  ASSERT_TRUE(db_->remove_exclusive(lock, keys));
  EXPECT_FALSE(db_->get("k1").value());
  EXPECT_TRUE(db_->get("k2").value());
  EXPECT_FALSE(db_->get("k3").value());
  EXPECT_EQ(calls, 0);
}

// Every Update either committed before start_journal (and is in a snapshot taken after it) or is
// journaled: nothing falls between.
TEST_F(JournalTest, NoCommitFallsBetweenStartAndTheSnapshot) {
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  std::thread writer([&] {
    while (!stop.load()) {
      const std::string key = "k" + std::to_string(next.fetch_add(1));
      auto u = db_->begin({key});
      u.put(key, "v");
      (void)u.commit();
    }
  });
  for (int round = 0; round < 20; ++round) {
    {
      auto lock = db_->lock_exclusive().value();
      ASSERT_TRUE(db_->start_journal(lock));
    }
    std::vector<std::string> seen;
    ASSERT_TRUE(db_->scan("k", {}, [&](std::string_view k, std::string_view) {
      seen.emplace_back(k);
      return true;
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto lock = db_->lock_exclusive().value();
    Database::Journal j = db_->take_journal();
    std::vector<std::string> now;
    ASSERT_TRUE(db_->scan("k", {}, [&](std::string_view k, std::string_view) {
      now.emplace_back(k);
      return true;
    }));
    std::sort(seen.begin(), seen.end());
    std::sort(j.keys.begin(), j.keys.end());
    for (const std::string& k : now) {
      EXPECT_TRUE(std::binary_search(seen.begin(), seen.end(), k) ||
                  std::binary_search(j.keys.begin(), j.keys.end(), k))
          << k;
    }
  }
  stop = true;
  writer.join();
  db_->stop_journal();
}

}  // namespace
}  // namespace cairn::metadata
