// The metadata engine contract, run against the PostgreSQL engine on a throwaway cluster (one for
// this binary, which ctest runs whole: tests/support/postgres.h), each test in a table of its
// own; then what only that engine has: bounded connection pools, connections that break.
#include "storage/metadata/pg_engine.h"
#include "tests/support/postgres.h"
#include "tests/unit/storage/metadata/engine_suite.h"

#include <libpq-fe.h>

#include <cstdio>
#include <functional>
#include <thread>

namespace cairn::testing {
namespace {

// A table of its own for each test directory (the same directory, the same table).
std::string table_of(const std::filesystem::path& dir) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(dir.string()));
  return std::string("kv_") + hex;
}

struct PgFactory {
  static constexpr bool kReopenWaitsForCursors = false;
  static std::unique_ptr<metadata::Engine> make(const std::filesystem::path& dir,
                                                metadata::PgOptions options = {}) {
    options.table = table_of(dir);
    options.page_rows = 3;  // small pages: every cursor test crosses page boundaries
    return metadata::PgEngine::open(PostgresServer::shared().uri(), options).value();
  }
};

}  // namespace

using PgFactories = ::testing::Types<PgFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, EngineSuite, PgFactories);

namespace {

// Runs one SQL command on the shared server through a connection of its own.
void sql(const std::string& command) {
  PGconn* c = PQconnectdb(PostgresServer::shared().uri().c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, command.c_str());
  const auto st = PQresultStatus(r);
  EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
}

TEST(PgEngine, CursorsBeyondTheirPoolAreRefusedNotWaitedFor) {
  TempDir dir;
  metadata::PgOptions o;
  o.cursors = 2;
  auto engine = PgFactory::make(dir.path(), o);
  metadata::Batch b;
  b.put("k", "v");
  ASSERT_TRUE(engine->write(b, true));
  auto first = engine->cursor();
  auto second = engine->cursor();  // nested in the first, as a scan inside a scan
  second->seek("");
  ASSERT_TRUE(second->valid());
  auto third = engine->cursor();
  third->seek("");
  EXPECT_FALSE(third->valid());
  ASSERT_FALSE(third->status());
  EXPECT_EQ(third->status().error().code, Errc::unavailable);
  // Point reads and writes have their own pool: a thread holding cursors still uses them.
  EXPECT_EQ(engine->get("k").value(), std::optional<std::string>("v"));
  ASSERT_TRUE(engine->write(b, true));
  second.reset();
  auto again = engine->cursor();
  again->seek("");
  EXPECT_TRUE(again->valid());
}

TEST(PgEngine, PointCallsWaitForAFreeConnection) {
  TempDir dir;
  metadata::PgOptions o;
  o.connections = 1;
  auto engine = PgFactory::make(dir.path(), o);
  std::vector<std::thread> threads;
  std::atomic<int> written{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        metadata::Batch b;
        b.put("t" + std::to_string(t) + "/" + std::to_string(i), "v");
        if (engine->write(b, true))
          ++written;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(written.load(), 100);
  auto c = engine->cursor();
  int n = 0;
  for (c->seek("t"); c->valid(); c->next())
    ++n;
  EXPECT_TRUE(c->status());
  EXPECT_EQ(n, 100);
}

TEST(PgEngine, ADatabaseRecoversFromConnectionsTheServerClosed) {
  TempDir dir;
  metadata::PgOptions o;
  o.table = table_of(dir.path());
  auto db =
      metadata::Database::open(metadata::PgEngine::open(PostgresServer::shared().uri(), o).value())
          .value();
  {
    auto u = db->begin({"before"});
    u.put("before", "1");
    ASSERT_TRUE(u.commit());
  }
  // Every other backend of the cluster goes, as when the server restarts: the pooled
  // connections are dead.
  sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
      "AND datname = 'postgres' AND backend_type = 'client backend'");
  {
    auto u = db->begin({"during"});
    u.put("during", "2");
    auto failed = u.commit();
    ASSERT_FALSE(failed);  // the write's connection was gone: not acknowledged
    EXPECT_EQ(failed.error().code, Errc::io);
  }
  // The next write reopens (a fresh connection) and is acknowledged; nothing acknowledged went.
  auto retry = db->begin({"during"});
  retry.put("during", "2");
  ASSERT_TRUE(retry.commit());
  EXPECT_EQ(db->get("before").value(), std::optional<std::string>("1"));
  EXPECT_EQ(db->get("during").value(), std::optional<std::string>("2"));
}

TEST(PgEngine, OneProcessATableAsLevelDbOneADirectory) {
  TempDir dir;
  auto first = PgFactory::make(dir.path());
  metadata::PgOptions o;
  o.table = table_of(dir.path());
  auto second = metadata::PgEngine::open(PostgresServer::shared().uri(), o);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::failed_precondition);
  EXPECT_NE(second.error().detail.find("in use"), std::string::npos) << second.error().detail;
  first.reset();  // its lock goes with its connection
  EXPECT_TRUE(metadata::PgEngine::open(PostgresServer::shared().uri(), o));
}

TEST(PgEngine, RefusesATableNameThatIsNotAnIdentifier) {
  metadata::PgOptions o;
  o.table = "kv; DROP TABLE x";
  auto e = metadata::PgEngine::open(PostgresServer::shared().uri(), o);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::invalid_argument);
}

TEST(PgEngine, AnUnreachableServerIsUnavailable) {
  metadata::PgOptions o;
  o.connect_timeout_seconds = 2;
  auto e = metadata::PgEngine::open(
      "postgresql://cairn@127.0.0.1:" + std::to_string(pick_free_port()) + "/postgres", o);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::unavailable);
}

}  // namespace
}  // namespace cairn::testing
