// Replicas over one PostgreSQL table (PgOptions::exclusive false): each Database here stands for
// a process of its own, as cairn servers over one database are. What the Database's rules give
// threads of one process must hold across them: read-modify-writes lose nothing, GC's lock holds
// the other replicas' writers, the journal lists what they wrote, and the writers' race against
// GC (tests/unit/storage/gc/race.h) keeps every rooted blob with its collector on another
// replica.
#include "storage/metadata/db.h"
#include "storage/metadata/pg_engine.h"
#include "storage/metadata/usage.h"
#include "tests/support/postgres.h"
#include "tests/unit/storage/gc/race.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace cairn::testing {
namespace {

using metadata::Database;
using metadata::PgEngine;
using metadata::PgOptions;

// A table for each test, named after its temp dir.
std::string table_for(const std::filesystem::path& dir) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(dir.string()));
  return std::string("rep_") + hex;
}

std::unique_ptr<metadata::Engine> replica_engine(const std::string& table, bool exclusive = false) {
  PgOptions o;
  o.table = table;
  o.exclusive = exclusive;
  return PgEngine::open(PostgresServer::shared().uri(), o).value();
}

std::unique_ptr<Database> replica(const std::string& table, metadata::DatabaseOptions o = {}) {
  return Database::open(replica_engine(table), o).value();
}

void put(Database& db, const std::string& key, const std::string& value) {
  auto u = db.begin({key});
  u.put(key, value);
  ASSERT_TRUE(u.commit());
}

TEST(PgReplicas, ManyServersShareATableAndOfflineCommandsWaitForNone) {
  TempDir dir;
  const std::string table = table_for(dir.path());
  auto a = replica_engine(table);
  auto b = replica_engine(table);
  EXPECT_TRUE(a->shared());
  PgOptions alone;
  alone.table = table;
  auto offline = PgEngine::open(PostgresServer::shared().uri(), alone);
  ASSERT_FALSE(offline);  // an exclusive opener while replicas run
  EXPECT_EQ(offline.error().code, Errc::failed_precondition);
  EXPECT_NE(offline.error().detail.find("in use"), std::string::npos) << offline.error().detail;
  a.reset();
  b.reset();
  auto only = PgEngine::open(PostgresServer::shared().uri(), alone);
  ASSERT_TRUE(only);
  EXPECT_FALSE((*only)->shared());
  PgOptions shared = alone;
  shared.exclusive = false;
  auto refused = PgEngine::open(PostgresServer::shared().uri(), shared);
  ASSERT_FALSE(refused);  // and no replica while an offline command has it
  EXPECT_NE(refused.error().detail.find("offline"), std::string::npos) << refused.error().detail;
}

TEST(PgReplicas, ReadModifyWritesOnTwoReplicasLoseNothing) {
  TempDir dir;
  const std::string table = table_for(dir.path());
  auto a = replica(table);
  auto b = replica(table);
  constexpr int kThreads = 2;  // per replica
  constexpr int kIncrements = 60;
  std::vector<std::thread> threads;
  for (Database* db : {a.get(), b.get()}) {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([db] {
        for (int i = 0; i < kIncrements; ++i) {
          auto u = db->begin({"counter"});
          auto v = u.get("counter").value();
          const int n = v ? std::stoi(*v) : 0;
          u.put("counter", std::to_string(n + 1));
          ASSERT_TRUE(u.commit());
        }
      });
    }
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(a->get("counter").value(), std::to_string(2 * kThreads * kIncrements));
}

TEST(PgReplicas, OneReplicasGcLockHoldsTheOthersWritersButNotTheirReaders) {
  TempDir dir;
  const std::string table = table_for(dir.path());
  auto a = replica(table);
  auto b = replica(table);
  put(*b, "x", "0");
  auto lock = a->lock_exclusive();
  ASSERT_TRUE(lock) << lock.error().detail;
  std::atomic<bool> written{false};
  std::thread writer([&] {
    put(*b, "x", "1");
    written = true;
  });
  EXPECT_EQ(b->get("x").value(), std::optional<std::string>("0"));  // reads go on
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(written.load());
  lock->unlock();
  writer.join();
  EXPECT_TRUE(written.load());
  EXPECT_EQ(a->get("x").value(), std::optional<std::string>("1"));
}

TEST(PgReplicas, TheJournalListsWhatOtherReplicasWrote) {
  TempDir dir;
  const std::string table = table_for(dir.path());
  metadata::DatabaseOptions small;
  small.journal_limit = 8;
  auto a = replica(table, small);
  auto b = replica(table);
  put(*b, "before", "1");
  {
    auto lock = a->lock_exclusive().value();
    ASSERT_TRUE(a->start_journal(lock));
  }
  put(*b, "k1", "1");
  put(*b, "k2", "1");
  Database::Journal j = a->take_journal();
  std::sort(j.keys.begin(), j.keys.end());
  EXPECT_EQ(j.keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_FALSE(j.overflowed);
  // Taken once: only what came after.
  put(*b, "k1", "2");
  j = a->take_journal();
  EXPECT_EQ(j.keys, (std::vector<std::string>{"k1"}));
  // More than the limit: overflowed, so GC proves nothing dead from it.
  for (int i = 0; i < 9; ++i)
    put(*b, "many" + std::to_string(i), "1");
  j = a->take_journal();
  EXPECT_TRUE(j.overflowed);
  EXPECT_TRUE(j.keys.empty());
  EXPECT_TRUE(a->dirty());  // another replica's deletes are not seen: always worth a look
  a->stop_journal();
}

// The single-process race (unit_gc) with the collector on a second replica: its Database and
// ContentStore over their own engine on the same table, the blob store shared (as a bucket is).
class ReplicaTest : public gc::testing::RaceTest {
 protected:
  // dir_ is the base's, made before the base's constructor opens the engine.
  ReplicaTest() : RaceTest([this] { return replica_engine(table_for(dir_.path())); }) {}
};

TEST_F(ReplicaTest, WritersNeverLoseRootedBlobsWhileAnotherReplicaCollects) {
  metadata::DatabaseOptions o;
  o.clock = &clock_;
  auto other = Database::open(replica_engine(table_for(dir_.path())), o).value();
  metadata::ContentStore other_cs(*other, *backend_);
  gc::Collector collector(*other, other_cs, *backend_, race_options());
  writers_never_lose_rooted_blobs(collector);
}

// Byte quotas count what every replica pushed: a replica's Usage keeps no total of its own.
TEST_F(ReplicaTest, UsageCountsWhatOtherReplicasPushed) {
  metadata::DatabaseOptions o;
  o.clock = &clock_;
  auto other = Database::open(replica_engine(table_for(dir_.path())), o).value();
  metadata::Usage usage(*other);
  EXPECT_EQ(usage.bytes("team/app").value(), 0);
  put("team/app", "twelve bytes");
  EXPECT_EQ(usage.bytes("team/app").value(), 12);
  put("team/app", "and five more");
  EXPECT_EQ(usage.bytes("team/app").value(), 12 + 13);
}

}  // namespace
}  // namespace cairn::testing
