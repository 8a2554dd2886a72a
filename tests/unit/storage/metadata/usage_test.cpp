// Usage (metadata/usage.h), quotas over it (storage/quota.h) and pull times
// (metadata/pull_times.h), through a real Storage on a temp dir.
#include "storage/metadata/usage.h"

#include "storage/metadata/keys.h"
#include "storage/metadata/pull_times.h"
#include "storage/quota.h"
#include "storage/storage.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::metadata {
namespace {

class UsageTest : public ::testing::Test {
 protected:
  UsageTest() { open(); }

  void open() {
    storage_.reset();
    StorageOptions o;
    o.clock = &clock_;
    o.quotas.rules.push_back({{"q/**"}, 100});
    storage_ = Storage::open(dir_.path(), o).value();
  }

  Digest put(const std::string& ns, const std::string& data) {
    Digest d = content::digest_of(data);
    auto w = storage_->content().writer(
        Scope{ns, {}}, content::WriterOptions{"r" + std::to_string(++refs_),
                                              static_cast<int64_t>(data.size()), d});
    if (!w) {
      EXPECT_EQ(w.error().code, Errc::already_exists);
      return d;
    }
    EXPECT_TRUE((*w)->write(data));
    EXPECT_TRUE((*w)->commit(static_cast<int64_t>(data.size()), d));
    return d;
  }

  int64_t used(const std::string& ns) { return storage_->usage().bytes(ns).value(); }

  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Storage> storage_;
  int refs_ = 0;
};

TEST_F(UsageTest, CountsEachBlobOncePerNamespace) {
  EXPECT_EQ(used("q/a"), 0);
  put("q/a", std::string(10, 'x'));
  EXPECT_EQ(used("q/a"), 10);  // computed by a scan, then cached
  put("q/a", std::string(20, 'y'));
  EXPECT_EQ(used("q/a"), 30);  // moved by the commit
  put("q/a", std::string(20, 'y'));
  EXPECT_EQ(used("q/a"), 30);  // the same blob again adds nothing
  put("q/b", std::string(20, 'y'));
  EXPECT_EQ(used("q/b"), 20);  // a shared blob counts in each namespace that holds it
  EXPECT_EQ(used("q/a"), 30);
}

TEST_F(UsageTest, RemovalsAndRestartsRecompute) {
  Digest x = put("q/a", std::string(10, 'x'));
  put("q/a", std::string(5, 'z'));
  EXPECT_EQ(used("q/a"), 15);
  ASSERT_TRUE(storage_->content().remove(Scope{"q/a", {}}, x));
  EXPECT_EQ(used("q/a"), 5);
  open();  // nothing is stored: the total comes back from the records
  EXPECT_EQ(used("q/a"), 5);
}

TEST_F(UsageTest, GcSweepForgetsTotals) {
  put("q/a", std::string(10, 'x'));
  EXPECT_EQ(used("q/a"), 10);
  // The default grace keeps the young blob; once it has passed, GC sweeps the unreferenced
  // record and the total follows.
  clock_.advance(std::chrono::hours(2));
  auto stats = storage_->gc().run_now();
  ASSERT_TRUE(stats) << stats.error().detail;
  EXPECT_EQ(stats->removed_blobs, 1u);
  EXPECT_EQ(used("q/a"), 0);
}

TEST_F(UsageTest, QuotaAdmitsUpToTheLimitAndNamesTheRule) {
  put("q/a", std::string(60, 'x'));
  const Quotas& q = storage_->quotas();
  EXPECT_TRUE(q.admit("q/a", 40));
  auto refused = q.admit("q/a", 41);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::denied);
  EXPECT_NE(refused.error().detail.find("'q/**'"), std::string::npos) << refused.error().detail;
  EXPECT_TRUE(q.admit("q/a", 41, /*held=*/true));  // a blob it holds adds nothing
  EXPECT_TRUE(q.admit("free/a", 1 << 30));         // no rule, no limit
  auto st = q.status("q/a").value();
  EXPECT_EQ(st.used, 60);
  EXPECT_EQ(st.limit, 100);
  EXPECT_EQ(st.rule, "q/**");
  EXPECT_FALSE(q.status("free/a").value().limit);
}

TEST_F(UsageTest, PullTimesWriteAtMostOncePerResolution) {
  PullTimes& pulls = storage_->pulls();
  EXPECT_TRUE(pulls.due("q/a", "v1"));
  ASSERT_TRUE(pulls.record("q/a", "v1"));
  const Timestamp first = clock_.now();
  EXPECT_FALSE(pulls.due("q/a", "v1"));
  clock_.advance(std::chrono::minutes(30));
  ASSERT_TRUE(pulls.record("q/a", "v1"));  // within the hour: not written
  EXPECT_EQ(pulls.list("q/a").value().at("v1"), first);
  clock_.advance(std::chrono::minutes(31));
  ASSERT_TRUE(pulls.record("q/a", "v1"));
  EXPECT_EQ(pulls.list("q/a").value().at("v1"), clock_.now());
  auto key = keys::parse(keys::pulled("q/a", "v1"));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->kind, keys::KeyKind::pulled);
}

}  // namespace
}  // namespace cairn::metadata
