#include "storage/metadata/content_store.h"

#include "storage/content/local_store.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/leases.h"
#include "storage/metadata/namespace_view.h"
#include "storage/metadata/records.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace cairn::metadata {
namespace {

using content::WriterOptions;

class ContentStoreTest : public ::testing::TestWithParam<SharingPolicy> {
 protected:
  void SetUp() override {
    content::LocalStoreOptions lo;
    lo.clock = &clock_;
    backend_ = content::LocalStore::open(dir_ / "content", lo).value();
    DatabaseOptions mo;
    mo.clock = &clock_;
    db_ = Database::open(dir_ / "meta", mo).value();
    cs_ = std::make_unique<ContentStore>(*db_, *backend_, ContentStoreOptions{GetParam()});
  }

  // Uploads `data` into `scope` through the namespaced writer.
  Result<Digest> put(const Scope& scope, const std::string& ref, const std::string& data,
                     const Labels& labels = {}) {
    Digest d = content::digest_of(data);
    auto w = cs_->writer(scope, WriterOptions{ref, static_cast<int64_t>(data.size()), d});
    if (!w)
      return w.error();
    if (auto r = (*w)->write(data); !r)
      return r.error();
    if (auto r = (*w)->commit(static_cast<int64_t>(data.size()), d, labels); !r)
      return r.error();
    return d;
  }

  std::optional<IngestRecord> ingest_record(const Scope& scope, const std::string& ref) {
    auto v = db_->get(keys::ingest(scope.ns, ref)).value();
    if (!v)
      return std::nullopt;
    return decode_ingest(*v).value();
  }

  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<content::LocalStore> backend_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ContentStore> cs_;
  const Scope a_{"team/a", ""};
  const Scope b_{"team/b", ""};
};

TEST_P(ContentStoreTest, CommittedInOneNamespaceIsInvisibleInAnother) {
  auto d = put(a_, "up", "visible in a only", {{"k", "v"}});
  ASSERT_TRUE(d) << d.error().detail;
  EXPECT_TRUE(cs_->exists(a_, *d).value());
  EXPECT_FALSE(cs_->exists(b_, *d).value());
  EXPECT_EQ(cs_->info(b_, *d).error().code, Errc::not_found);
  EXPECT_EQ(cs_->reader(b_, *d).error().code, Errc::not_found);
  EXPECT_EQ(cs_->remove(b_, *d).error().code, Errc::not_found);
  content::Info upd{*d, 0, {}, {}, {{"x", "y"}}};
  EXPECT_EQ(cs_->update(b_, upd, {}).error().code, Errc::not_found);
  int seen = 0;
  ASSERT_TRUE(cs_->walk(b_, [&](const content::Info&) { return ++seen, true; }, {}));
  EXPECT_EQ(seen, 0);
  ASSERT_TRUE(cs_->walk(a_, [&](const content::Info&) { return ++seen, true; }, {}));
  EXPECT_EQ(seen, 1);
  // Labels are the namespace's and live in LevelDB.
  EXPECT_EQ(cs_->info(a_, *d)->labels, (Labels{{"k", "v"}}));
  // Bad names never reach a key.
  EXPECT_EQ(cs_->info(Scope{"Bad Name", ""}, *d).error().code, Errc::invalid_argument);
  EXPECT_EQ(cs_->info(Scope{"a", "bad lease!"}, *d).error().code, Errc::invalid_argument);
}

TEST_P(ContentStoreTest, IngestsAreSeparatePerNamespace) {
  auto wa = cs_->writer(a_, WriterOptions{"same-ref", 0, std::nullopt});
  ASSERT_TRUE(wa);
  ASSERT_TRUE((*wa)->write("aaaa"));
  // The same ref in another namespace is another ingest, open at the same time.
  auto wb = cs_->writer(b_, WriterOptions{"same-ref", 0, std::nullopt});
  ASSERT_TRUE(wb) << wb.error().detail;
  ASSERT_TRUE((*wb)->write("bb"));
  EXPECT_EQ(cs_->status(a_, "same-ref")->offset, 4);
  EXPECT_EQ(cs_->status(b_, "same-ref")->offset, 2);
  EXPECT_EQ(cs_->status(a_, "same-ref")->ref, "same-ref");
  auto list = cs_->list_statuses(a_).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].ref, "same-ref");
  EXPECT_EQ(ingest_record(a_, "same-ref")->backend_ref, "team/a@same-ref");
  EXPECT_EQ(cs_->status(Scope{"team/c", ""}, "same-ref").error().code, Errc::not_found);
  wa->reset();
  ASSERT_TRUE(cs_->abort(a_, "same-ref"));
  EXPECT_FALSE(ingest_record(a_, "same-ref"));
  EXPECT_EQ(cs_->status(b_, "same-ref")->offset, 2);
}

TEST_P(ContentStoreTest, IngestExpiryUnlessLeased) {
  auto w = cs_->writer(a_, WriterOptions{"r1", 0, std::nullopt});
  ASSERT_TRUE(w);
  auto rec = ingest_record(a_, "r1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->expire_at, clock_.now() + std::chrono::hours(24));
  EXPECT_TRUE(rec->lease.empty());

  LeaseStore leases(*db_);
  ASSERT_TRUE(leases.create("team/a", {"l1", {}, std::nullopt}));
  const Scope leased{"team/a", "l1"};
  auto w2 = cs_->writer(leased, WriterOptions{"r2", 0, std::nullopt});
  ASSERT_TRUE(w2);
  rec = ingest_record(a_, "r2");
  ASSERT_TRUE(rec);
  EXPECT_FALSE(rec->expire_at);
  EXPECT_EQ(rec->lease, "l1");
  EXPECT_EQ(leases.list_resources("team/a", "l1").value(),
            (std::vector<LeaseResource>{{ResourceKind::ingest, "r2"}}));

  // Commit moves the lease from the ingest to the blob, in one batch.
  ASSERT_TRUE((*w2)->write("leased bytes"));
  ASSERT_TRUE((*w2)->commit(0, std::nullopt));
  const Digest d = content::digest_of("leased bytes");
  EXPECT_EQ(leases.list_resources("team/a", "l1").value(),
            (std::vector<LeaseResource>{{ResourceKind::content, d.str()}}));
  EXPECT_FALSE(ingest_record(a_, "r2"));

  // An unknown lease is refused before anything is written.
  EXPECT_EQ(cs_->writer(Scope{"team/a", "nope"}, WriterOptions{"r3", 0, std::nullopt}).error().code,
            Errc::not_found);
  EXPECT_FALSE(ingest_record(a_, "r3"));
}

TEST_P(ContentStoreTest, ExpectedDigestAlreadyHereJoinsTheLease) {
  auto d = put(a_, "up", "already here");
  ASSERT_TRUE(d);
  LeaseStore leases(*db_);
  ASSERT_TRUE(leases.create("team/a", {"l", {}, std::nullopt}));
  auto w = cs_->writer(Scope{"team/a", "l"}, WriterOptions{"again", 0, *d});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::already_exists);
  EXPECT_EQ(leases.list_resources("team/a", "l").value(),
            (std::vector<LeaseResource>{{ResourceKind::content, d->str()}}));
  EXPECT_FALSE(ingest_record(a_, "again"));
}

TEST_P(ContentStoreTest, SharingPolicyDecidesCrossNamespaceCommits) {
  const std::string data = "shared layer";
  auto d = put(a_, "up", data);
  ASSERT_TRUE(d);
  auto w = cs_->writer(b_, WriterOptions{"up-b", static_cast<int64_t>(data.size()), *d});
  if (GetParam() == SharingPolicy::shared) {
    // Known to the backend: recorded in b without bytes.
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, Errc::already_exists);
    auto info = cs_->info(b_, *d);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
    EXPECT_EQ(info->created_at, clock_.now());
    EXPECT_FALSE(ingest_record(b_, "up-b"));
    // A wrong size does not match: the bytes are required.
    auto w2 = cs_->writer(Scope{"team/c", ""}, WriterOptions{"c", 3, *d});
    ASSERT_TRUE(w2) << w2.error().detail;
  } else {
    // Isolated: the bytes are required even though the backend has them.
    ASSERT_TRUE(w) << w.error().detail;
    EXPECT_FALSE(cs_->exists(b_, *d).value());
    ASSERT_TRUE((*w)->write(data));
    ASSERT_TRUE((*w)->commit(static_cast<int64_t>(data.size()), *d));  // backend: already there
    EXPECT_TRUE(cs_->exists(b_, *d).value());
  }
  auto back = cs_->reader(b_, *d);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)->size(), static_cast<int64_t>(data.size()));
}

TEST_P(ContentStoreTest, IsolatedUploadWithWrongBytesIsRefused) {
  auto d = put(a_, "up", "the real bytes");
  ASSERT_TRUE(d);
  auto w = cs_->writer(Scope{"team/z", ""}, WriterOptions{"z", 0, std::nullopt});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("other bytes!!!"));
  EXPECT_EQ((*w)->commit(14, *d).error().code, Errc::digest_mismatch);
  EXPECT_FALSE(cs_->exists(Scope{"team/z", ""}, *d).value());
}

TEST_P(ContentStoreTest, Mount) {
  auto d = put(a_, "up", "mount me");
  ASSERT_TRUE(d);
  // From a namespace that holds it: either policy.
  auto m = cs_->mount(b_, *d, "team/a");
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->size, 8);
  EXPECT_TRUE(cs_->exists(b_, *d).value());
  // Already there: the existing record, untouched.
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(cs_->mount(b_, *d, "team/a")->created_at, m->created_at);
  // From a namespace that does not hold it: only the shared policy falls back to the backend.
  const Scope c{"team/c", ""};
  auto m2 = cs_->mount(c, *d, "team/nothing");
  auto m3 = cs_->mount(Scope{"team/d", ""}, *d);
  if (GetParam() == SharingPolicy::shared) {
    EXPECT_TRUE(m2);
    EXPECT_TRUE(m3);
  } else {
    EXPECT_EQ(m2.error().code, Errc::not_found);
    EXPECT_EQ(m3.error().code, Errc::not_found);
  }
  EXPECT_EQ(cs_->mount(c, content::digest_of("unknown")).error().code, Errc::not_found);
}

TEST_P(ContentStoreTest, RemoveMarksDirtyAndLeavesTheBytes) {
  std::vector<bool> calls;
  db_->on_mutation([&](bool dirty) { calls.push_back(dirty); });
  auto d = put(a_, "up", "remove me");
  ASSERT_TRUE(d);
  ASSERT_FALSE(calls.empty());
  EXPECT_FALSE(calls.back());
  EXPECT_FALSE(db_->dirty());
  ASSERT_TRUE(cs_->remove(a_, *d));
  EXPECT_TRUE(calls.back());
  EXPECT_TRUE(db_->dirty());
  EXPECT_FALSE(cs_->exists(a_, *d).value());
  EXPECT_TRUE(backend_->exists(*d));  // for GC to sweep
}

TEST_P(ContentStoreTest, OversizedLabelsAreRejected) {
  const Labels big{{"k", std::string(content::kMaxLabelSize, 'v')}};
  auto w = cs_->writer(a_, WriterOptions{"big", 0, std::nullopt});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("x"));
  EXPECT_EQ((*w)->commit(1, std::nullopt, big).error().code, Errc::invalid_argument);
  ASSERT_TRUE((*w)->commit(1, std::nullopt));
  const Digest d = content::digest_of("x");
  EXPECT_EQ(cs_->update(a_, content::Info{d, 0, {}, {}, big}, {}).error().code,
            Errc::invalid_argument);
  EXPECT_TRUE(cs_->info(a_, d)->labels.empty());
}

TEST_P(ContentStoreTest, ViewIsAContentStore) {
  NamespaceView view(*cs_, a_);
  content::Store& s = view;
  auto w = s.writer(WriterOptions{"v", 0, std::nullopt});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("via view"));
  ASSERT_TRUE((*w)->commit(0, std::nullopt));
  EXPECT_TRUE(cs_->exists(a_, content::digest_of("via view")).value());
  EXPECT_EQ(view.scope().ns, "team/a");
}

INSTANTIATE_TEST_SUITE_P(Policies, ContentStoreTest,
                         ::testing::Values(SharingPolicy::shared, SharingPolicy::isolated),
                         [](const auto& info) {
                           return info.param == SharingPolicy::shared ? "shared" : "isolated";
                         });

}  // namespace
}  // namespace cairn::metadata
