#include "storage/metadata/db.h"

#include "storage/metadata/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/storage/metadata/fixture.h"

#include <leveldb/db.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace cairn::metadata {
namespace {

using testing::DatabaseTest;

std::string get_raw(Database& db, const std::string& key) {
  auto v = db.engine().get(key);
  return v && v->has_value() ? **v : "<missing>";
}

// Writes past every rule of the Database, as a bug or a foreign tool would.
bool put_raw(Database& db, const std::string& key, const std::string& value) {
  Batch b;
  b.put(key, value);
  return db.engine().write(b, /*sync=*/true).has_value();
}

TEST(DatabaseOpenTest, FreshDatabaseGetsCurrentVersion) {
  cairn::testing::TempDir dir;
  auto db = Database::open(dir / "meta");
  ASSERT_TRUE(db) << db.error().detail;
  EXPECT_EQ((*db)->schema_version(), kSchemaVersion);
  EXPECT_EQ(get_raw(**db, keys::version()), std::to_string(kSchemaVersion));
  db->reset();
  auto again = Database::open(dir / "meta");
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->schema_version(), kSchemaVersion);
}

TEST(DatabaseOpenTest, NewerVersionIsRefused) {
  cairn::testing::TempDir dir;
  {
    auto db = Database::open(dir / "meta").value();
    ASSERT_TRUE(put_raw(*db, keys::version(), "7"));
  }
  auto db = Database::open(dir / "meta");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::failed_precondition);
  EXPECT_NE(db.error().detail.find("version 7 is newer"), std::string::npos) << db.error().detail;
}

TEST(DatabaseOpenTest, CorruptVersionAndForeignDatabase) {
  cairn::testing::TempDir dir;
  {
    auto db = Database::open(dir / "meta").value();
    ASSERT_TRUE(put_raw(*db, keys::version(), "x1"));
  }
  auto db = Database::open(dir / "meta");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::internal);

  {
    leveldb::Options o;
    o.create_if_missing = true;
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(o, (dir / "foreign").string(), &raw).ok());
    ASSERT_TRUE(raw->Put(leveldb::WriteOptions(), "some", "thing").ok());
    delete raw;
  }
  auto foreign = Database::open(dir / "foreign");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, Errc::failed_precondition);
}

TEST(DatabaseOpenTest, LockedByAnotherHandleIsIo) {
  cairn::testing::TempDir dir;
  auto first = Database::open(dir / "meta").value();
  auto second = Database::open(dir / "meta");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::io);
}

// A synthetic schema history: version 1 (today's), then a test-only version 2 that renames a
// namespace's labels key to a "labels2" key, then version 3 that needs version 2's key.
std::vector<Migration> test_migrations(std::vector<int>* ran) {
  Migration to3{2, "needs-v2", [ran](const Engine& db, Batch& batch) -> Result<void> {
                  ran->push_back(2);
                  auto v = db.get("labels2");
                  if (!v || !v->has_value())
                    return fail(Errc::internal, "version 2 key missing");
                  batch.put("labels3", **v + "+3");
                  batch.remove("labels2");
                  return {};
                }};
  Migration to2{1, "rename-labels", [ran](const Engine& db, Batch& batch) -> Result<void> {
                  ran->push_back(1);
                  auto key = keys::namespace_labels("a");
                  auto v = db.get(key);
                  if (!v || !v->has_value())
                    return fail(Errc::internal, "no labels");
                  batch.put("labels2", **v);
                  batch.remove(key);
                  return {};
                }};
  return {to3, to2};  // registration order does not matter: steps run by `from`
}

TEST(DatabaseOpenTest, OlderVersionRunsMigrationsInOrder) {
  cairn::testing::TempDir dir;
  {
    auto db = Database::open(dir / "meta").value();
    auto u = db->begin({});
    u.put(keys::namespace_labels("a"), "{}");
    ASSERT_TRUE(u.commit());
  }
  std::vector<int> ran;
  DatabaseOptions options;
  options.schema_version = 3;
  options.migrations = test_migrations(&ran);
  auto db = Database::open(dir / "meta", options);
  ASSERT_TRUE(db) << db.error().detail;
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ((*db)->schema_version(), 3);
  EXPECT_EQ(get_raw(**db, keys::version()), "3");
  EXPECT_EQ(get_raw(**db, "labels3"), "{}+3");
  EXPECT_EQ(get_raw(**db, "labels2"), "<missing>");
  EXPECT_EQ(get_raw(**db, keys::namespace_labels("a")), "<missing>");
  db->reset();

  // Migrated once: reopening at 3 runs nothing; today's build refuses the newer database.
  ran.clear();
  ASSERT_TRUE(Database::open(dir / "meta", options));
  EXPECT_TRUE(ran.empty());
  auto old_build = Database::open(dir / "meta");
  ASSERT_FALSE(old_build);
  EXPECT_EQ(old_build.error().code, Errc::failed_precondition);
}

TEST(DatabaseOpenTest, FailedOrMissingMigrationStopsAtAWholeVersion) {
  cairn::testing::TempDir dir;
  ASSERT_TRUE(Database::open(dir / "meta"));  // version 1, no labels: step 1 fails
  std::vector<int> ran;
  DatabaseOptions options;
  options.schema_version = 3;
  options.migrations = test_migrations(&ran);
  auto db = Database::open(dir / "meta", options);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::internal);
  EXPECT_NE(db.error().detail.find("rename-labels"), std::string::npos);

  DatabaseOptions missing;
  missing.schema_version = 2;
  missing.migrations = {};
  auto db2 = Database::open(dir / "meta", missing);
  ASSERT_FALSE(db2);
  EXPECT_EQ(db2.error().code, Errc::failed_precondition);
  // Still version 1: today's build opens it.
  EXPECT_TRUE(Database::open(dir / "meta"));
}

class DatabaseUpdateTest : public DatabaseTest {};

TEST_F(DatabaseUpdateTest, BatchIsAtomicAndScanSeesPrefixInOrder) {
  {
    auto u = db().begin({"k"});
    u.put("p\0b", "2");
    u.put(std::string("p\0a", 3), "1");
    u.put(std::string("p\0c", 3), "3");
    u.put("q", "x");
    EXPECT_EQ(u.get("q").value(), std::nullopt);  // reads see committed state only
    ASSERT_TRUE(u.commit());
  }
  EXPECT_EQ(db().get("q").value(), std::optional<std::string>("x"));
  std::vector<std::string> seen;
  ASSERT_TRUE(db().scan(std::string("p\0", 2), {}, [&](std::string_view k, std::string_view v) {
    seen.push_back(std::string(k.substr(2)) + "=" + std::string(v));
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a=1", "c=3"}));
  seen.clear();
  ASSERT_TRUE(db().scan(std::string("p\0", 2), std::string("p\0b", 3),
                        [&](std::string_view k, std::string_view) {
                          seen.emplace_back(k.substr(2));
                          return false;
                        }));
  EXPECT_EQ(seen, (std::vector<std::string>{"c"}));

  auto u = db().begin({});
  u.remove("q");
  {
    auto discarded = db().begin({"other"});
    discarded.put("never", "1");
  }  // destroyed without commit
  ASSERT_TRUE(u.commit());
  EXPECT_EQ(db().get("q").value(), std::nullopt);
  EXPECT_EQ(db().get("never").value(), std::nullopt);
  EXPECT_FALSE(u.commit());  // at most once
}

TEST_F(DatabaseUpdateTest, MutationCallbacksCarryTheDirtyFlag) {
  std::vector<bool> calls;
  db().on_mutation([&](bool dirty) { calls.push_back(dirty); });
  {
    auto u = db().begin({});
    ASSERT_TRUE(u.commit());  // empty: no mutation
  }
  EXPECT_TRUE(calls.empty());
  {
    auto u = db().begin({"a"});
    u.put("a", "1");
    ASSERT_TRUE(u.commit());
  }
  {
    auto u = db().begin({"a"});
    u.remove("a");
    u.mark_dirty();
    ASSERT_TRUE(u.commit());
  }
  {
    auto u = db().begin({"b"});
    u.put("b", "1");
    ASSERT_TRUE(u.commit());
  }
  EXPECT_EQ(calls, (std::vector<bool>{false, true, true}));
  EXPECT_TRUE(db().dirty());
  {
    auto lock = db().lock_exclusive().value();
    db().clear_dirty();
  }
  EXPECT_FALSE(db().dirty());
}

TEST_F(DatabaseUpdateTest, ConcurrentReadModifyWriteLosesNothing) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        // One shared counter and one per-thread counter: different stripes run in parallel.
        for (std::string key : {std::string("shared"), "own" + std::to_string(t)}) {
          auto u = db().begin({key});
          auto v = u.get(key).value();
          int n = v ? std::stoi(*v) : 0;
          u.put(key, std::to_string(n + 1));
          ASSERT_TRUE(u.commit());
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(db().get("shared").value(), std::to_string(kThreads * kIncrements));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(db().get("own" + std::to_string(t)).value(), std::to_string(kIncrements));
  }
}

TEST_F(DatabaseUpdateTest, ExclusiveLockHoldsWritersButNotReaders) {
  auto lock = db().lock_exclusive().value();
  std::atomic<bool> written{false};
  std::thread writer([&] {
    auto u = db().begin({"x"});
    u.put("x", "1");
    ASSERT_TRUE(u.commit());
    written = true;
  });
  EXPECT_TRUE(db().get("x"));  // reads do not wait
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(written.load());
  lock.unlock();
  writer.join();
  EXPECT_TRUE(written.load());
}

}  // namespace
}  // namespace cairn::metadata
