#include "storage/gc/collector.h"

#include "tests/unit/storage/gc/fixture.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace cairn::gc::testing {
namespace {

const std::string kNs = "library/app";

TEST_F(GcTest, TaggedIndexKeepsManifestConfigAndLayers) {
  const Digest l1 = put(kNs, "layer one");
  const Digest l2 = put(kNs, "layer two");
  const Digest cfg = put(kNs, "config");
  const Digest m = put_manifest(
      kNs, "manifest",
      {child(ChildKind::config, cfg), child(ChildKind::layer, l1), child(ChildKind::layer, l2)});
  const Digest idx = put_manifest(kNs, "index", {child(ChildKind::manifest, m)});
  tag(kNs, "latest", idx);
  const Digest junk = put(kNs, "unreferenced junk");
  clock_.advance(2h);

  GcStats s = gc();
  for (const Digest& d : {l1, l2, cfg, m, idx})
    EXPECT_TRUE(visible(kNs, d)) << d.str();
  EXPECT_FALSE(visible(kNs, junk));
  EXPECT_FALSE(file(junk));
  EXPECT_EQ(s.removed_blobs, 1u);
  EXPECT_EQ(s.removed_files, 1u);
  EXPECT_EQ(s.removed_bytes, static_cast<int64_t>(std::string("unreferenced junk").size()));
  EXPECT_EQ(s.marked, 5u);
  EXPECT_EQ(s.started_at, clock_.now());

  // A second run finds nothing more.
  GcStats again = gc();
  EXPECT_EQ(again.removed_blobs, 0u);
  EXPECT_EQ(again.removed_files, 0u);
  EXPECT_EQ(again.marked, 5u);
}

TEST_F(GcTest, UntaggedManifestIsARootUntilDeleted) {
  const Digest layer = put(kNs, "layer");
  const Digest m = put_manifest(kNs, "pushed by digest", {child(ChildKind::layer, layer)});
  clock_.advance(2h);
  gc();
  EXPECT_TRUE(visible(kNs, m));
  EXPECT_TRUE(visible(kNs, layer));

  // Deleting it (which removes its own blob record) leaves the layer to the grace period.
  ASSERT_TRUE(manifests_->remove(kNs, m));
  EXPECT_TRUE(db_->dirty());
  GcStats s = gc();
  EXPECT_FALSE(visible(kNs, layer));
  EXPECT_FALSE(file(layer));
  EXPECT_FALSE(file(m));
  EXPECT_EQ(s.removed_blobs, 1u);  // the layer's record; the manifest's went with remove()
  EXPECT_EQ(s.removed_files, 2u);
  EXPECT_FALSE(db_->dirty());
}

TEST_F(GcTest, DeletedManifestLayersWaitForTheGracePeriod) {
  const Digest m = put_manifest(kNs, "m", {child(ChildKind::layer, put(kNs, "young layer"))});
  const Digest layer = content::digest_of("young layer");
  ASSERT_TRUE(manifests_->remove(kNs, m));
  gc();
  EXPECT_TRUE(visible(kNs, layer));  // younger than the grace period
  clock_.advance(59min);
  gc();
  EXPECT_TRUE(visible(kNs, layer));
  clock_.advance(2min);
  gc();
  EXPECT_FALSE(visible(kNs, layer));
  EXPECT_FALSE(file(layer));
}

TEST_F(GcTest, GracePeriodZeroCollectsAtOnce) {
  const Digest young = put(kNs, "young");
  GcOptions off;
  off.grace = 0s;
  EXPECT_TRUE(visible(kNs, young));
  gc();  // 1h grace: kept
  EXPECT_TRUE(visible(kNs, young));
  GcStats s = gc(off);
  EXPECT_FALSE(visible(kNs, young));
  EXPECT_EQ(s.removed_blobs, 1u);
  EXPECT_EQ(s.removed_files, 1u);
}

TEST_F(GcTest, ReportsListingAndRemovingProgress) {
  put(kNs, "kept", {{std::string(kRootLabel), "1"}});
  put(kNs, "gone-1");
  put(kNs, "gone-22");
  std::vector<Progress> seen;
  GcOptions options;
  options.grace = 0s;
  options.on_progress = [&](const Progress& p) { seen.push_back(p); };
  GcStats s = gc(options);
  ASSERT_EQ(s.removed_files, 2u);
  // Listing counts the three files up, total unknown; removing runs from 0 to the candidates'
  // 13 bytes, last at the total.
  std::vector<int64_t> listed;
  std::vector<int64_t> removed;
  for (const Progress& p : seen) {
    if (p.phase == "listing") {
      EXPECT_EQ(p.total, -1);
      listed.push_back(p.done);
    } else {
      ASSERT_EQ(p.phase, "removing");
      EXPECT_EQ(p.total, 13);
      removed.push_back(p.done);
    }
  }
  EXPECT_EQ(listed, (std::vector<int64_t>{1, 2, 3}));
  ASSERT_FALSE(removed.empty());
  EXPECT_EQ(removed.front(), 0);
  EXPECT_EQ(removed.back(), 13);
  EXPECT_TRUE(std::is_sorted(removed.begin(), removed.end()));
  EXPECT_EQ(seen.front().phase, "listing");
}

TEST_F(GcTest, RefLabelsChainAndRootLabel) {
  const Digest c = put(kNs, "c");
  const Digest b = put(kNs, "b", {{"containerd.io/gc.ref.content.x", c.str()}});
  const Digest a =
      put(kNs, "a", {{"containerd.io/gc.root", "1"}, {"containerd.io/gc.ref.content", b.str()}});
  const Digest d = put(kNs, "d",
                       {{"containerd.io/gc.ref.contentnot", a.str()},
                        {"containerd.io/gc.ref.content.bad", "not-a-digest"}});
  clock_.advance(2h);
  GcStats s = gc();
  EXPECT_TRUE(visible(kNs, a));
  EXPECT_TRUE(visible(kNs, b));
  EXPECT_TRUE(visible(kNs, c));
  EXPECT_FALSE(visible(kNs, d));
  EXPECT_EQ(s.removed_blobs, 1u);

  // Dropping the root label drops the chain.
  content::Info info{a, 0, {}, {}, {}};
  std::vector<std::string> paths{"labels.containerd.io/gc.root"};
  ASSERT_TRUE(cs_->update(Scope{kNs, {}}, info, paths));
  clock_.advance(2h);  // update() does not make the record young: created_at is kept
  s = gc();
  EXPECT_FALSE(visible(kNs, a));
  EXPECT_FALSE(visible(kNs, b));
  EXPECT_FALSE(visible(kNs, c));
  EXPECT_EQ(s.removed_blobs, 3u);
  EXPECT_EQ(s.removed_files, 3u);
}

TEST_F(GcTest, RefsStayInTheirNamespace) {
  const Digest target = put("other/ns", "target");
  put(kNs, "referrer",
      {{"containerd.io/gc.root", ""}, {"containerd.io/gc.ref.content", target.str()}});
  clock_.advance(2h);
  gc();
  EXPECT_FALSE(visible("other/ns", target));
}

TEST_F(GcTest, LeasesPinBlobsTheirRefsAndIngests) {
  ASSERT_TRUE(leases_->create(kNs, metadata::LeaseOptions{"push", {}, {}}));
  const Digest ref = put(kNs, "referenced by a leased blob");
  const Digest leased = put(kNs, "leased", {{"containerd.io/gc.ref.content", ref.str()}}, "push");
  auto w = cs_->writer(Scope{kNs, "push"}, content::WriterOptions{"leased-upload", 0, {}});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("partial"));
  w->reset();
  auto unleased = cs_->writer(Scope{kNs, {}}, content::WriterOptions{"plain-upload", 0, {}});
  ASSERT_TRUE(unleased);
  ASSERT_TRUE((*unleased)->write("partial"));
  unleased->reset();

  clock_.advance(25h);
  GcStats s = gc();
  EXPECT_TRUE(visible(kNs, leased));
  EXPECT_TRUE(visible(kNs, ref));
  EXPECT_TRUE(cs_->status(Scope{kNs, {}}, "leased-upload"));
  // The unleased upload expired after 24h: record and backend ingest are gone.
  EXPECT_EQ(cs_->status(Scope{kNs, {}}, "plain-upload").error().code, Errc::not_found);
  EXPECT_EQ(backend_->status(metadata::ContentStore::backend_ref(kNs, "plain-upload")).error().code,
            Errc::not_found);
  EXPECT_EQ(s.removed_ingests, 1u);
  EXPECT_EQ(s.removed_blobs, 0u);

  // Deleting the lease frees all of it (the leased ingest has no expiry of its own).
  ASSERT_TRUE(leases_->remove(kNs, "push"));
  s = gc();
  EXPECT_FALSE(visible(kNs, leased));
  EXPECT_FALSE(visible(kNs, ref));
  EXPECT_EQ(cs_->status(Scope{kNs, {}}, "leased-upload").error().code, Errc::not_found);
  EXPECT_EQ(s.removed_blobs, 2u);
  EXPECT_EQ(s.removed_ingests, 1u);
  EXPECT_TRUE(backend_->list_statuses().value().empty());
}

TEST_F(GcTest, IngestsLiveForTheirExpiry) {
  auto w = cs_->writer(Scope{kNs, {}}, content::WriterOptions{"upload", 0, {}});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("some bytes"));
  w->reset();
  clock_.advance(23h);
  EXPECT_EQ(gc().removed_ingests, 0u);
  EXPECT_TRUE(cs_->status(Scope{kNs, {}}, "upload"));
  clock_.advance(2h);
  GcStats s = gc();
  EXPECT_EQ(s.removed_ingests, 1u);
  EXPECT_EQ(s.removed_backend_ingests, 0u);
  EXPECT_EQ(cs_->status(Scope{kNs, {}}, "upload").error().code, Errc::not_found);
  EXPECT_TRUE(backend_->list_statuses().value().empty());
}

TEST_F(GcTest, FlatLeasePinsOnlyItsOwnResources) {
  ASSERT_TRUE(
      leases_->create(kNs, metadata::LeaseOptions{"flat", {{"containerd.io/gc.flat", "1"}}, {}}));
  const Digest ref = put(kNs, "ref of a flat-leased blob");
  const Digest own = put(kNs, "own", {{"containerd.io/gc.ref.content", ref.str()}}, "flat");
  clock_.advance(2h);
  gc();
  EXPECT_TRUE(visible(kNs, own));
  EXPECT_FALSE(visible(kNs, ref));
}

TEST_F(GcTest, FlatAndFullPathsToTheSameBlobFollowEdges) {
  ASSERT_TRUE(
      leases_->create(kNs, metadata::LeaseOptions{"flat", {{"containerd.io/gc.flat", ""}}, {}}));
  const Digest leaf = put(kNs, "leaf");
  const Digest mid = put(kNs, "mid", {{"containerd.io/gc.ref.content", leaf.str()}}, "flat");
  put(kNs, "root", {{"containerd.io/gc.root", ""}, {"containerd.io/gc.ref.content", mid.str()}});
  clock_.advance(2h);
  gc();
  EXPECT_TRUE(visible(kNs, mid));
  EXPECT_TRUE(visible(kNs, leaf));
}

TEST_F(GcTest, LeaseExpiryFollowsTheClock) {
  metadata::LeaseOptions opts{"short", {}, clock_.now() + 3h};
  ASSERT_TRUE(leases_->create(kNs, opts));
  const Digest d = put(kNs, "leased until +3h", {}, "short");
  clock_.advance(2h);
  GcStats s = gc();
  EXPECT_TRUE(visible(kNs, d));
  EXPECT_EQ(s.removed_leases, 0u);
  clock_.advance(2h);
  s = gc();
  EXPECT_EQ(s.removed_leases, 1u);
  EXPECT_FALSE(visible(kNs, d));
  EXPECT_EQ(leases_->get(kNs, "short").error().code, Errc::not_found);
  // No resource key outlives its lease.
  int left = 0;
  ASSERT_TRUE(
      db_->scan(metadata::keys::lease_prefix(kNs), {}, [&](auto, auto) { return ++left, true; }));
  EXPECT_EQ(left, 0);
}

TEST_F(GcTest, SharedFileGoesWithItsLastRecord) {
  const Digest d = put("team/a", "shared bytes");
  put("team/b", "shared bytes");
  clock_.advance(2h);
  ASSERT_TRUE(cs_->remove(Scope{"team/a", {}}, d));
  // a's record is gone; b's is old and unrooted, so it goes too, and then the file.
  GcStats s = gc();
  EXPECT_EQ(s.removed_blobs, 1u);
  EXPECT_EQ(s.removed_files, 1u);
  EXPECT_FALSE(visible("team/a", d));
  EXPECT_FALSE(visible("team/b", d));
  EXPECT_FALSE(file(d));
}

TEST_F(GcTest, SharedFileSurvivesUntilTheLastNamespaceLetsGo) {
  const Digest d = put("team/a", "shared bytes", {{"containerd.io/gc.root", ""}});
  put("team/b", "shared bytes");  // the shared-policy shortcut: recorded without labels
  root("team/b", d);
  clock_.advance(2h);
  ASSERT_TRUE(cs_->remove(Scope{"team/a", {}}, d));
  GcStats s = gc();
  EXPECT_EQ(s.removed_files, 0u);
  EXPECT_TRUE(file(d));
  EXPECT_TRUE(visible("team/b", d));
  ASSERT_TRUE(cs_->remove(Scope{"team/b", {}}, d));
  s = gc();
  EXPECT_EQ(s.removed_files, 1u);
  EXPECT_FALSE(file(d));
}

TEST_F(GcTest, SharedFileWithDeadAndLiveRecords) {
  // Dead in one namespace, rooted in another: only the record goes.
  const Digest d = put("team/a", "bytes");
  put("team/b", "bytes");
  root("team/b", d);
  clock_.advance(2h);
  GcStats s = gc();
  EXPECT_EQ(s.removed_blobs, 1u);
  EXPECT_EQ(s.removed_files, 0u);
  EXPECT_FALSE(visible("team/a", d));
  EXPECT_TRUE(visible("team/b", d));
}

TEST_F(GcTest, OrphanFilesAndBackendIngestsAreCollected) {
  // A file with no record anywhere: a crash between the rename and the metadata batch.
  const std::string bytes = "committed, never recorded";
  const Digest orphan = content::digest_of(bytes);
  {
    auto w = backend_->writer(content::WriterOptions{"crashed", 0, orphan}).value();
    ASSERT_TRUE(w->write(bytes));
    ASSERT_TRUE(w->commit(static_cast<int64_t>(bytes.size()), orphan));
  }
  // A backend ingest whose record is gone, and one that never had a namespace.
  for (const std::string& ref :
       {metadata::ContentStore::backend_ref(kNs, "lost"), std::string("bare")}) {
    auto w = backend_->writer(content::WriterOptions{ref, 0, {}}).value();
    ASSERT_TRUE(w->write("x"));
  }
  // A live upload with its record stays.
  auto live = cs_->writer(Scope{kNs, {}}, content::WriterOptions{"live", 0, {}});
  ASSERT_TRUE(live);
  live->reset();

  GcStats s = gc();
  EXPECT_EQ(s.removed_files, 1u);  // files need no grace: nothing can refer to them
  EXPECT_FALSE(file(orphan));
  EXPECT_EQ(s.removed_backend_ingests, 0u);  // idle for less than the grace period
  clock_.advance(61min);
  s = gc();
  EXPECT_EQ(s.removed_backend_ingests, 2u);
  auto left = backend_->list_statuses().value();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].ref, metadata::ContentStore::backend_ref(kNs, "live"));
}

TEST_F(GcTest, OrphanBackendIngestHeldByAWriterIsKept) {
  auto w = backend_->writer(content::WriterOptions{"held@ref", 0, {}}).value();
  ASSERT_TRUE(w->write("x"));
  clock_.advance(2h);
  GcStats s = gc();
  EXPECT_EQ(s.removed_backend_ingests, 0u);
  EXPECT_TRUE(backend_->status("held@ref"));
}

// A backend whose remove() fails: the collection stops with an error after the records are gone,
// and no record is left without its file.
class FailingRemove final : public content::Store {
 public:
  explicit FailingRemove(content::Store& inner) : inner_(inner) {}
  Result<std::unique_ptr<content::ReaderAt>> reader(const Digest& d) override {
    return inner_.reader(d);
  }
  Result<content::Info> info(const Digest& d) override { return inner_.info(d); }
  Result<content::Info> update(const content::Info& i, std::span<const std::string> f) override {
    return inner_.update(i, f);
  }
  Result<void> walk(const content::WalkFn& fn, std::span<const std::string> f) override {
    return inner_.walk(fn, f);
  }
  Result<void> remove(const Digest&) override { return fail(Errc::io, "injected"); }
  Result<content::Status> status(std::string_view ref) override { return inner_.status(ref); }
  Result<std::vector<content::Status>> list_statuses() override { return inner_.list_statuses(); }
  Result<void> abort(std::string_view ref) override { return inner_.abort(ref); }
  Result<std::unique_ptr<content::Writer>> writer(const content::WriterOptions& o) override {
    return inner_.writer(o);
  }

 private:
  content::Store& inner_;
};

TEST_F(GcTest, FailedFileDeletionLeavesNoRecordWithoutItsFile) {
  const Digest dead = put(kNs, "dead");
  const Digest kept = put(kNs, "kept", {{"containerd.io/gc.root", ""}});
  clock_.advance(2h);
  FailingRemove failing(*backend_);
  Collector c(*db_, *cs_, failing);
  auto r = c.collect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_FALSE(cs_->exists(Scope{kNs, {}}, dead).value());
  EXPECT_TRUE(file(dead));  // the next run (with a working backend) takes it
  expect_no_record_without_file();
  GcStats s = gc();
  EXPECT_EQ(s.removed_files, 1u);
  EXPECT_TRUE(visible(kNs, kept));
}

// --- changes made while the snapshot is marked: the journal, re-marked in the catch-up rounds
// (param 8) or all under wlock (param 0) ---

class GcDuringMarkTest : public GcTest, public ::testing::WithParamInterface<int> {
 protected:
  GcOptions opts() {
    GcOptions o;
    o.catch_up_rounds = GetParam();
    return o;
  }
};

TEST_P(GcDuringMarkTest, RefAddedDuringMarkKeepsItsTarget) {
  const Digest root = put(kNs, "root", {{"containerd.io/gc.root", ""}});
  const Digest x = put(kNs, "x");
  const Digest y = put(kNs, "y");
  const Digest z = put(kNs, "z", {{"containerd.io/gc.ref.content", y.str()}});
  clock_.advance(2h);
  GcOptions o = opts();
  o.after_mark = [&] {
    // root → x, and x → z → y (z was dead in the snapshot; its edge must be followed too).
    content::Info i{root, 0, {}, {}, {{"containerd.io/gc.ref.content", x.str()}}};
    std::vector<std::string> p{"labels.containerd.io/gc.ref.content"};
    ASSERT_TRUE(cs_->update(Scope{kNs, {}}, i, p));
    content::Info j{x, 0, {}, {}, {{"containerd.io/gc.ref.content", z.str()}}};
    ASSERT_TRUE(cs_->update(Scope{kNs, {}}, j, p));
  };
  GcStats s = gc(o);
  EXPECT_TRUE(visible(kNs, x));
  EXPECT_TRUE(visible(kNs, z));
  EXPECT_TRUE(visible(kNs, y));
  EXPECT_EQ(s.removed_blobs, 0u);
}

TEST_P(GcDuringMarkTest, ManifestAndTagPushedDuringMarkKeepTheirLayers) {
  const Digest layer = put(kNs, "old layer");
  const Digest other = put(kNs, "other old layer");
  clock_.advance(2h);
  GcOptions o = opts();
  o.grace = 0s;  // nothing young protects them: only the re-mark does
  o.after_mark = [&] {
    const Digest m = put_manifest(kNs, "late manifest", {child(ChildKind::layer, layer)});
    tag(kNs, "late", m);
    const Digest m2 = put_manifest("other/ns", "late manifest 2", {});
    (void)m2;
  };
  gc(o);
  EXPECT_TRUE(visible(kNs, layer));
  EXPECT_FALSE(visible(kNs, other));
  EXPECT_TRUE(visible(kNs, content::digest_of("late manifest")));
  EXPECT_TRUE(visible("other/ns", content::digest_of("late manifest 2")));
}

TEST_P(GcDuringMarkTest, BlobCommittedOrLeasedDuringMarkSurvives) {
  const Digest dead = put(kNs, "dead at the snapshot");
  const Digest leased = put(kNs, "leased meanwhile");
  ASSERT_TRUE(leases_->create(kNs, metadata::LeaseOptions{"l", {}, {}}));
  clock_.advance(2h);
  GcOptions o = opts();
  o.grace = 0s;
  Digest fresh;
  o.after_mark = [&] {
    // Removed and committed again: a new record, journaled, so kept this run.
    ASSERT_TRUE(cs_->remove(Scope{kNs, {}}, dead));
    put(kNs, "dead at the snapshot");
    // A brand-new blob in a brand-new namespace, and its file.
    fresh = put("new/ns", "fresh bytes");
    ASSERT_TRUE(leases_->add_resource(kNs, "l", {metadata::ResourceKind::content, leased.str()}));
  };
  GcStats s = gc(o);
  EXPECT_TRUE(visible(kNs, dead));
  EXPECT_TRUE(visible(kNs, leased));
  EXPECT_TRUE(visible("new/ns", fresh));
  EXPECT_EQ(s.removed_blobs, 0u);
  EXPECT_EQ(s.removed_files, 0u);
  // A reference was removed while marking: the database stays dirty for the next run.
  EXPECT_TRUE(db_->dirty());
  GcOptions off = opts();
  off.grace = 0s;
  s = gc(off);
  EXPECT_FALSE(visible(kNs, dead));
  EXPECT_FALSE(visible("new/ns", fresh));
  EXPECT_TRUE(visible(kNs, leased));
  EXPECT_FALSE(db_->dirty());
}

TEST_P(GcDuringMarkTest, MountDuringMarkKeepsTheSharedFile) {
  const Digest d = put("team/a", "shared later");
  clock_.advance(2h);
  GcOptions o = opts();
  o.after_mark = [&] { ASSERT_TRUE(cs_->mount(Scope{"team/b", {}}, d, "team/a")); };
  GcStats s = gc(o);
  EXPECT_EQ(s.removed_blobs, 1u);  // team/a's record was dead at the snapshot and untouched
  EXPECT_EQ(s.removed_files, 0u);
  EXPECT_FALSE(visible("team/a", d));
  EXPECT_TRUE(visible("team/b", d));
}

TEST_P(GcDuringMarkTest, ExpiredIngestResumedDuringMarkIsKept) {
  auto w = cs_->writer(Scope{kNs, {}}, content::WriterOptions{"up", 0, {}});
  ASSERT_TRUE(w);
  w->reset();
  clock_.advance(25h);
  GcOptions o = opts();
  // Resumed during the mark: the record gets a new expiry and must not be swept.
  o.after_mark = [&] {
    ASSERT_TRUE(cs_->writer(Scope{kNs, {}}, content::WriterOptions{"up", 0, {}}));
  };
  GcStats s = gc(o);
  EXPECT_EQ(s.removed_ingests, 0u);
  EXPECT_TRUE(cs_->status(Scope{kNs, {}}, "up"));
}

TEST_F(GcTest, AWriteStormDuringMarkFallsBackToMarkingUnderTheLock) {
  metadata::DatabaseOptions small;
  small.journal_limit = 8;
  reopen(small);
  const Digest dead = put(kNs, "dead");
  clock_.advance(2h);
  GcOptions o;
  int calls = 0;
  o.after_mark = [&] {
    if (++calls > 1)
      return;  // the second run marks under wlock: writing now would wait for ever
    for (int i = 0; i < 10; ++i)
      put(kNs, "storm " + std::to_string(i), {{"containerd.io/gc.root", ""}});
  };
  GcStats s = gc(o);
  EXPECT_TRUE(s.marked_under_lock);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(s.removed_blobs, 1u);
  EXPECT_EQ(s.marked, 10u);
  EXPECT_FALSE(visible(kNs, dead));
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(visible(kNs, content::digest_of("storm " + std::to_string(i))));
  EXPECT_FALSE(gc().marked_under_lock);
}

INSTANTIATE_TEST_SUITE_P(CatchUp, GcDuringMarkTest, ::testing::Values(8, 0),
                         [](const auto& info) { return info.param ? "catch_up" : "locked"; });

}  // namespace
}  // namespace cairn::gc::testing
