// Retention (storage/gc/retention.h): the pure plan over case tables, then apply() over a real
// database followed by a collection.
#include "storage/gc/retention.h"

#include "storage/metadata/namespaces.h"
#include "storage/metadata/pull_times.h"
#include "tests/unit/storage/gc/fixture.h"

#include <algorithm>

namespace cairn::gc::testing {
namespace {

const Timestamp kNow = from_unix_nanos(1'700'000'000'000'000'000);

Digest dg(const std::string& s) {
  return content::digest_of(s);
}

// A namespace of single-manifest tags: tag i (named "t<i>") pushed i hours before now.
RetentionInput tags_pushed_hours_ago(int n) {
  RetentionInput in;
  for (int i = 0; i < n; ++i) {
    Digest d = dg("m" + std::to_string(i));
    in.tags.push_back({"t" + std::to_string(i), d, kNow - std::chrono::hours(i), std::nullopt});
    in.manifests.push_back({d, kNow - std::chrono::hours(i), {}, std::nullopt, false});
  }
  return in;
}

TEST(RetentionPlan, KeepNewestUntagsTheOlderTagsAndDropsTheirManifests) {
  RetentionRule rule{{"ret/**"}, 2, std::nullopt, {}, std::nullopt};
  RetentionPlan p = plan(rule, tags_pushed_hours_ago(5), kNow);
  EXPECT_EQ(p.tags, (std::vector<std::string>{"t2", "t3", "t4"}));
  std::vector<Digest> want{dg("m2"), dg("m3"), dg("m4")};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(p.manifests, want);
}

TEST(RetentionPlan, CriteriaAddUp) {
  struct Case {
    const char* what;
    RetentionRule rule;
    std::vector<std::string> untagged;
  };
  const Case cases[] = {
      {"no tag criterion untags nothing",
       {{"**"}, std::nullopt, std::nullopt, {}, std::nullopt},
       {}},
      {"pushed within 90m keeps t0 and t1",
       {{"**"}, std::nullopt, std::chrono::minutes(90), {}, std::nullopt},
       {"t2", "t3", "t4"}},
      {"a pattern keeps its full matches only",
       {{"**"}, std::nullopt, std::nullopt, {"t[34]"}, std::nullopt},
       {"t0", "t1", "t2"}},
      {"a partial match is no match",
       {{"**"}, std::nullopt, std::nullopt, {"t"}, std::nullopt},
       {"t0", "t1", "t2", "t3", "t4"}},
      {"newest 1 or pattern t4",
       {{"**"}, 1, std::nullopt, {"t4"}, std::nullopt},
       {"t1", "t2", "t3"}},
      {"keep newest 0 untags all",
       {{"**"}, 0, std::nullopt, {}, std::nullopt},
       {"t0", "t1", "t2", "t3", "t4"}},
  };
  for (const Case& c : cases) {
    RetentionPlan p = plan(c.rule, tags_pushed_hours_ago(5), kNow);
    EXPECT_EQ(p.tags, c.untagged) << c.what;
    EXPECT_EQ(p.manifests.size(), c.untagged.size()) << c.what;
  }
}

TEST(RetentionPlan, APullWithinTheWindowKeepsAnOldTag) {
  RetentionInput in = tags_pushed_hours_ago(3);
  in.tags[2].pulled = kNow - std::chrono::minutes(10);  // t2: pushed 2h ago, pulled just now
  RetentionRule rule{{"**"}, std::nullopt, std::chrono::minutes(30), {}, std::nullopt};
  EXPECT_EQ(plan(rule, in, kNow).tags, (std::vector<std::string>{"t1"}));
}

TEST(RetentionPlan, APinnedManifestKeepsItsTags) {
  RetentionInput in = tags_pushed_hours_ago(3);
  in.manifests[2].pinned = true;  // a lease or gc.root on t2's manifest
  RetentionRule rule{{"**"}, 1, std::nullopt, {}, std::nullopt};
  RetentionPlan p = plan(rule, in, kNow);
  EXPECT_EQ(p.tags, (std::vector<std::string>{"t1"}));
  EXPECT_EQ(p.manifests, (std::vector<Digest>{dg("m1")}));
}

TEST(RetentionPlan, AKeptIndexKeepsItsManifestsAndReferrersOfKeptManifestsStay) {
  RetentionInput in;
  const Digest index = dg("index"), amd64 = dg("amd64"), old = dg("old"), sig = dg("sig");
  in.tags = {{"latest", index, kNow, std::nullopt},
             {"amd64-only", amd64, kNow - std::chrono::hours(5), std::nullopt},
             {"old", old, kNow - std::chrono::hours(9), std::nullopt}};
  in.manifests = {{index, kNow, {amd64}, std::nullopt, false},
                  {amd64, kNow, {}, std::nullopt, false},
                  {old, kNow, {}, std::nullopt, false},
                  {sig, kNow - std::chrono::hours(48), {amd64}, amd64, false}};
  RetentionRule rule{{"**"}, 1, std::nullopt, {}, std::chrono::hours(1)};
  RetentionPlan p = plan(rule, in, kNow);
  EXPECT_EQ(p.tags, (std::vector<std::string>{"amd64-only", "old"}));
  // amd64 lost its tag but the kept index lists it; sig is old and untagged, but its subject
  // is kept. Only `old` goes.
  EXPECT_EQ(p.manifests, (std::vector<Digest>{old}));
}

TEST(RetentionPlan, UntaggedManifestsGoOnlyWithTheirRuleAndAge) {
  RetentionInput in;
  in.manifests = {{dg("a"), kNow - std::chrono::hours(48), {}, std::nullopt, false},
                  {dg("b"), kNow - std::chrono::minutes(5), {}, std::nullopt, false}};
  RetentionRule keep{{"**"}, 3, std::nullopt, {}, std::nullopt};
  EXPECT_TRUE(plan(keep, in, kNow).manifests.empty());
  RetentionRule drop{{"**"}, std::nullopt, std::nullopt, {}, std::chrono::hours(24)};
  EXPECT_EQ(plan(drop, in, kNow).manifests, (std::vector<Digest>{dg("a")}));
}

TEST(RetentionPolicy, TheFirstMatchingRuleGoverns) {
  RetentionPolicy policy;
  policy.rules.push_back({{"ret/keep/*"}, std::nullopt, std::nullopt, {}, std::nullopt});
  policy.rules.push_back({{"ret/**"}, 2, std::nullopt, {}, std::nullopt});
  ASSERT_NE(policy.rule_for("ret/keep/x"), nullptr);
  EXPECT_FALSE(policy.rule_for("ret/keep/x")->keep_newest);
  EXPECT_EQ(policy.rule_for("ret/a/b")->keep_newest, 2u);
  EXPECT_EQ(policy.rule_for("other"), nullptr);
  EXPECT_FALSE(validate({{"**"}, std::nullopt, std::nullopt, {"("}, std::nullopt}));
}

// apply() over a real database, then a collection.
class RetentionApply : public GcTest {
 protected:
  Retention retention(RetentionRule rule, bool dry_run = false) {
    RetentionPolicy policy;
    policy.rules.push_back(std::move(rule));
    policy.dry_run = dry_run;
    return Retention(std::move(policy), *db_, namespaces_, *manifests_, pulls_);
  }

  // Pushes image i of `ns`: a unique layer and a manifest, tagged "v<i>", an hour apart.
  struct Image {
    Digest layer, manifest;
  };
  Image push(const std::string& ns, int i) {
    clock_.advance(std::chrono::hours(1));
    Image img;
    img.layer = put(ns, "layer " + std::to_string(i));
    img.manifest =
        put_manifest(ns, "manifest " + std::to_string(i), {child(ChildKind::layer, img.layer)});
    tag(ns, "v" + std::to_string(i), img.manifest);
    return img;
  }

  metadata::NamespaceStore namespaces_{*db_};
  metadata::PullTimes pulls_{*db_};
};

TEST_F(RetentionApply, KeepTwoNewestThenGcLeavesOnlyTheirBlobs) {
  std::vector<Image> images;
  for (int i = 0; i < 5; ++i)
    images.push_back(push("ret/app", i));
  const Digest shared = put("ret/app", "shared base layer");
  auto r = retention({{"ret/**"}, 2, std::nullopt, {}, std::nullopt}).apply();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->removed_tags, 3u);
  EXPECT_EQ(r->removed_manifests, 3u);
  EXPECT_EQ(tags_->list("ret/app").value().names, (std::vector<std::string>{"v3", "v4"}));
  GcOptions no_grace;
  no_grace.grace = std::chrono::nanoseconds(0);
  GcStats stats = gc(no_grace);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(visible("ret/app", images[i].layer), i >= 3) << i;
    EXPECT_EQ(file(images[i].manifest), i >= 3) << i;
  }
  EXPECT_FALSE(visible("ret/app", shared));  // unreferenced and no grace: gone too
  // Retention deleted the manifests' own blob records; GC the 3 layers' and the shared one's,
  // then the files of all 7.
  EXPECT_EQ(stats.removed_blobs, 4u);
  EXPECT_EQ(stats.removed_files, 7u);
  expect_no_record_without_file();
}

TEST_F(RetentionApply, DryRunChangesNothing) {
  for (int i = 0; i < 4; ++i)
    push("ret/app", i);
  auto r = retention({{"ret/**"}, 1, std::nullopt, {}, std::nullopt}, /*dry_run=*/true).apply();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE(r->dry_run);
  EXPECT_EQ(r->removed_tags, 3u);
  EXPECT_EQ(r->tags, (std::vector<std::string>{"ret/app:v0", "ret/app:v1", "ret/app:v2"}));
  EXPECT_EQ(tags_->list("ret/app").value().names.size(), 4u);
  EXPECT_EQ(manifests_->list("ret/app").value().size(), 4u);
}

TEST_F(RetentionApply, LeasesAndRootsWinAndOtherNamespacesAreUntouched) {
  Image leased = push("ret/app", 0);
  Image rooted = push("ret/app", 1);
  push("ret/app", 2);
  push("other", 0);
  auto lease = leases_->create("ret/app", {});
  ASSERT_TRUE(lease);
  ASSERT_TRUE(leases_->add_resource("ret/app", lease->id,
                                    {metadata::ResourceKind::content, leased.manifest.str()}));
  root("ret/app", rooted.manifest);
  auto r = retention({{"ret/**"}, 1, std::nullopt, {}, std::nullopt}).apply();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->removed_tags, 0u);
  EXPECT_EQ(tags_->list("ret/app").value().names.size(), 3u);
  EXPECT_EQ(tags_->list("other").value().names.size(), 1u);
}

TEST_F(RetentionApply, RecentPullsKeepTagsAndStalePullRecordsAreDropped) {
  push("ret/app", 0);
  push("ret/app", 1);
  push("ret/app", 2);
  clock_.advance(std::chrono::hours(10));
  ASSERT_TRUE(pulls_.record("ret/app", "v0"));
  ASSERT_TRUE(tags_->remove("ret/app", "v2"));
  ASSERT_TRUE(pulls_.record("ret/app", "v2"));  // a record the tag no longer backs
  auto r = retention({{"ret/**"}, std::nullopt, std::chrono::hours(1), {}, std::nullopt}).apply();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(tags_->list("ret/app").value().names, (std::vector<std::string>{"v0"}));
  EXPECT_EQ(pulls_.list("ret/app").value().size(), 1u);
}

}  // namespace
}  // namespace cairn::gc::testing
