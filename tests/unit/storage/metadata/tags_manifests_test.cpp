#include "storage/metadata/manifests.h"
#include "storage/metadata/tags.h"

#include "storage/metadata/keys.h"
#include "tests/unit/storage/metadata/fixture.h"

#include <string>
#include <vector>

namespace cairn::metadata {
namespace {

using testing::DatabaseTest;

const std::string kManifestType = "application/vnd.oci.image.manifest.v1+json";

class TagsManifestsTest : public DatabaseTest {
 protected:
  // Records a manifest with a config and a layer; returns its descriptor.
  Descriptor add_manifest(const std::string& ns, const std::string& body,
                          std::optional<Digest> subject = std::nullopt,
                          std::string artifact_type = {}) {
    const Digest d = digest(body);
    ManifestRecord rec;
    rec.media_type = kManifestType;
    rec.size = static_cast<int64_t>(body.size());
    rec.children = {{ChildKind::config, digest(body + "config")},
                    {ChildKind::layer, digest(body + "layer")}};
    rec.subject = subject;
    rec.artifact_type = artifact_type;
    rec.annotations = {{"name", body}};
    auto put = manifests_.put(ns, d, rec);
    EXPECT_TRUE(put) << put.error().detail;
    return Descriptor{d, kManifestType, rec.size, {}, {}};
  }

  TagStore tags_{db()};
  ManifestStore manifests_{db()};
};

TEST_F(TagsManifestsTest, TagPutGetMoveRemove) {
  const Descriptor m1 = add_manifest("repo", "m1");
  const Descriptor m2 = add_manifest("repo", "m2");
  const Timestamp t0 = clock_.now();
  auto t = tags_.put("repo", "latest", m1);
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ(t->target, m1);
  EXPECT_EQ(t->created_at, t0);

  clock_.advance(std::chrono::seconds(10));
  ASSERT_TRUE(tags_.update_labels("repo", "latest", {{"k", "v"}}, {}));
  auto moved = tags_.put("repo", "latest", m2);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->target, m2);
  EXPECT_EQ(moved->created_at, t0);
  EXPECT_EQ(moved->updated_at, clock_.now());
  EXPECT_EQ(moved->labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(tags_.get("repo", "latest").value(), *moved);

  // Only a manifest of this namespace can be tagged.
  EXPECT_EQ(tags_.put("other", "latest", m1).error().code, Errc::failed_precondition);
  EXPECT_EQ(
      tags_.put("repo", "x", Descriptor{digest("nope"), kManifestType, 1, {}, {}}).error().code,
      Errc::failed_precondition);
  EXPECT_EQ(tags_.put("repo", "-bad", m1).error().code, Errc::invalid_argument);
  EXPECT_EQ(tags_.get("repo", "missing").error().code, Errc::not_found);
  EXPECT_EQ(tags_.get("other", "latest").error().code, Errc::not_found);

  ASSERT_TRUE(tags_.remove("repo", "latest"));
  EXPECT_TRUE(db().dirty());
  EXPECT_EQ(tags_.get("repo", "latest").error().code, Errc::not_found);
  EXPECT_EQ(tags_.remove("repo", "latest").error().code, Errc::not_found);
}

TEST_F(TagsManifestsTest, TagListIsLexicalAndPaged) {
  const Descriptor m = add_manifest("repo", "m");
  add_manifest("repo/sub", "m");
  const std::vector<std::string> names = {"v10", "v2", "A", "_x", "latest", "v1", "v1.0", "v1-rc"};
  for (const auto& n : names)
    ASSERT_TRUE(tags_.put("repo", n, m));
  ASSERT_TRUE(tags_.put("repo/sub", "zzz", m));  // another namespace, sharing the prefix

  const std::vector<std::string> sorted = {"A", "_x", "latest", "v1", "v1-rc", "v1.0", "v10", "v2"};
  auto all = tags_.list("repo").value();
  EXPECT_EQ(all.names, sorted);
  EXPECT_FALSE(all.more);

  std::vector<std::string> paged;
  std::string last;
  int pages = 0;
  while (true) {
    auto page = tags_.list("repo", last, 3).value();
    paged.insert(paged.end(), page.names.begin(), page.names.end());
    ++pages;
    if (!page.more)
      break;
    last = page.names.back();
  }
  EXPECT_EQ(paged, sorted);
  EXPECT_EQ(pages, 3);

  EXPECT_EQ(tags_.list("repo", "v1", 2).value().names, (std::vector<std::string>{"v1-rc", "v1.0"}));
  EXPECT_EQ(tags_.list("repo", "b").value().names,  // `last` need not exist
            (std::vector<std::string>{"latest", "v1", "v1-rc", "v1.0", "v10", "v2"}));
  auto exact = tags_.list("repo", {}, sorted.size()).value();
  EXPECT_EQ(exact.names.size(), sorted.size());
  EXPECT_FALSE(exact.more);
  EXPECT_TRUE(tags_.list("repo", "v2").value().names.empty());
  EXPECT_TRUE(tags_.list("empty").value().names.empty());
  EXPECT_EQ(tags_.list("repo", "bad/tag").error().code, Errc::invalid_argument);
}

TEST_F(TagsManifestsTest, ManifestRecordsKeepChildrenAndCreatedAt) {
  const Digest subject = digest("subject");
  const Descriptor m = add_manifest("repo", "with-subject", subject, "application/x-sig");
  auto rec = manifests_.get("repo", m.digest);
  ASSERT_TRUE(rec);
  ASSERT_EQ(rec->children.size(), 3u);  // config, layer, and the subject added by put()
  EXPECT_EQ(rec->children[2], (ManifestChild{ChildKind::subject, subject}));
  EXPECT_EQ(rec->created_at, clock_.now());

  clock_.advance(std::chrono::seconds(3));
  ManifestRecord again = *rec;
  auto put = manifests_.put("repo", m.digest, again);
  ASSERT_TRUE(put);
  EXPECT_EQ(put->created_at, rec->created_at);
  EXPECT_EQ(put->children.size(), 3u);  // not added twice

  EXPECT_EQ(manifests_.get("other", m.digest).error().code, Errc::not_found);
  EXPECT_EQ(manifests_.put("repo", Digest{}, again).error().code, Errc::invalid_argument);
}

// A manifest PUT's record and tags are one batch: each commit is counted by on_mutation, and a
// bad tag refuses the whole put before anything is written.
TEST_F(TagsManifestsTest, PutWithTagsIsOneBatch) {
  const Descriptor old = add_manifest("repo", "old");
  ASSERT_TRUE(tags_.put("repo", "latest", old));
  const Timestamp created = clock_.now();
  clock_.advance(std::chrono::seconds(5));

  ASSERT_FALSE(db().dirty());  // a new tag removes no reference
  std::vector<bool> commits;
  db().on_mutation([&](bool dirty) { commits.push_back(dirty); });
  const Digest d = digest("new");
  ManifestRecord rec;
  rec.media_type = kManifestType;
  rec.size = 3;
  const std::vector<std::string> tags{"latest", "v1"};
  auto put = manifests_.put("repo", d, rec, tags);
  ASSERT_TRUE(put) << put.error().detail;
  // One commit, dirty: "latest" left the old manifest.
  EXPECT_EQ(commits, std::vector<bool>{true});
  const Descriptor target{d, kManifestType, 3, {}, {}};
  for (const std::string& tag : tags) {
    auto got = tags_.get("repo", tag);
    ASSERT_TRUE(got) << tag;
    EXPECT_EQ(got->target, target) << tag;
    EXPECT_EQ(got->updated_at, clock_.now()) << tag;
  }
  EXPECT_EQ(tags_.get("repo", "latest")->created_at, created);  // moved, not recreated
  EXPECT_EQ(tags_.get("repo", "v1")->created_at, clock_.now());

  const Digest other = digest("other");
  const std::vector<std::string> bad{"ok", "-not-a-tag"};
  auto refused = manifests_.put("repo", other, rec, bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  EXPECT_EQ(manifests_.get("repo", other).error().code, Errc::not_found);
  EXPECT_EQ(tags_.get("repo", "ok").error().code, Errc::not_found);
  EXPECT_EQ(commits.size(), 1u);
}

TEST_F(TagsManifestsTest, OnlyAMovedTagMarksTheDatabaseDirty) {
  const Descriptor m1 = add_manifest("repo", "m1");
  const Descriptor m2 = add_manifest("repo", "m2");
  ASSERT_TRUE(tags_.put("repo", "a", m1));
  ASSERT_TRUE(tags_.put("repo", "a", m1));  // the same target again
  EXPECT_FALSE(db().dirty());
  ASSERT_TRUE(tags_.put("repo", "a", m2));
  EXPECT_TRUE(db().dirty());
}

TEST_F(TagsManifestsTest, ReferrersIndexWithArtifactTypeFilter) {
  const Descriptor subject = add_manifest("repo", "image");
  const Descriptor sig = add_manifest("repo", "sig", subject.digest, "application/x-sig");
  const Descriptor sbom = add_manifest("repo", "sbom", subject.digest, "application/x-sbom");
  add_manifest("repo", "unrelated");
  add_manifest("elsewhere", "sig2", subject.digest, "application/x-sig");

  auto all = manifests_.referrers("repo", subject.digest).value().descriptors;
  ASSERT_EQ(all.size(), 2u);
  std::vector<Digest> ds = {all[0].digest, all[1].digest};
  std::vector<Digest> want = {sig.digest, sbom.digest};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ds, want);  // digest order
  for (const auto& r : all) {
    EXPECT_EQ(r.media_type, kManifestType);
    EXPECT_FALSE(r.artifact_type.empty());
    EXPECT_EQ(r.annotations.count("name"), 1u);
  }

  auto sigs = manifests_.referrers("repo", subject.digest, "application/x-sig").value().descriptors;
  ASSERT_EQ(sigs.size(), 1u);
  EXPECT_EQ(sigs[0].digest, sig.digest);
  EXPECT_EQ(sigs[0].artifact_type, "application/x-sig");
  EXPECT_EQ(sigs[0].size, 3);
  EXPECT_TRUE(
      manifests_.referrers("repo", subject.digest, "application/none").value().descriptors.empty());
  EXPECT_TRUE(manifests_.referrers("repo", digest("no such subject")).value().descriptors.empty());

  // Removing a referrer removes its index entry in the same batch.
  ASSERT_TRUE(manifests_.remove("repo", sig.digest));
  auto left = manifests_.referrers("repo", subject.digest).value().descriptors;
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].digest, sbom.digest);
  EXPECT_EQ(manifests_.referrers("elsewhere", subject.digest).value().descriptors.size(), 1u);
}

TEST_F(TagsManifestsTest, ReferrersComeInBoundedPages) {
  const Descriptor subject = add_manifest("repo", "image");
  std::vector<Digest> all;
  for (int i = 0; i < 40; ++i)
    all.push_back(add_manifest("repo", "sig" + std::to_string(i), subject.digest, "a/sig").digest);
  const Digest sbom = add_manifest("repo", "sbom", subject.digest, "b/sbom").digest;
  all.push_back(sbom);
  std::sort(all.begin(), all.end());

  // Pages of 7 follow one another in digest order, each resuming after the last one.
  std::vector<Digest> seen;
  std::string after;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10);
    auto page = manifests_.referrers("repo", subject.digest, std::nullopt, after, 7).value();
    EXPECT_LE(page.descriptors.size(), 7u);
    for (const auto& d : page.descriptors)
      seen.push_back(d.digest);
    if (!page.next)
      break;
    after = *page.next;
  }
  EXPECT_EQ(seen, all);

  // A filter that matches one of 41: each page visits at most 16 × n entries, and the pages
  // together find it exactly once.
  std::vector<Digest> found;
  after.clear();
  int pages = 0;
  for (;; ++pages) {
    ASSERT_LT(pages, 50);
    auto page = manifests_.referrers("repo", subject.digest, "b/sbom", after, 1).value();
    for (const auto& d : page.descriptors)
      found.push_back(d.digest);
    if (!page.next)
      break;
    after = *page.next;
  }
  EXPECT_EQ(found, std::vector<Digest>{sbom});
  EXPECT_GE(pages, 2);  // 41 entries need at least 3 visits of 16; the match may end one early
}

TEST_F(TagsManifestsTest, RemovingAManifestRemovesItsTagsAndBlobRecord) {
  const Descriptor m1 = add_manifest("repo", "m1");
  const Descriptor m2 = add_manifest("repo", "m2");
  ASSERT_TRUE(tags_.put("repo", "a", m1));
  ASSERT_TRUE(tags_.put("repo", "b", m1));
  ASSERT_TRUE(tags_.put("repo", "c", m2));
  {
    auto u = db().begin({});
    u.put(keys::blob("repo", m1.digest.str()), "{}");  // stands in for the manifest's bytes
    ASSERT_TRUE(u.commit());
  }
  ASSERT_TRUE(manifests_.remove("repo", m1.digest));
  EXPECT_TRUE(db().dirty());
  EXPECT_EQ(tags_.list("repo").value().names, (std::vector<std::string>{"c"}));
  EXPECT_EQ(manifests_.get("repo", m1.digest).error().code, Errc::not_found);
  EXPECT_FALSE(db().get(keys::blob("repo", m1.digest.str())).value());
  EXPECT_EQ(manifests_.remove("repo", m1.digest).error().code, Errc::not_found);
  EXPECT_TRUE(manifests_.get("repo", m2.digest));
}

TEST_F(TagsManifestsTest, CorruptTagIsInternal) {
  const Descriptor m = add_manifest("repo", "m");
  ASSERT_TRUE(tags_.put("repo", "t", m));
  {
    auto u = db().begin({});
    u.put(keys::tag("repo", "t"), "not json");
    ASSERT_TRUE(u.commit());
  }
  EXPECT_EQ(tags_.get("repo", "t").error().code, Errc::internal);
  EXPECT_EQ(tags_.put("repo", "t", m).error().code, Errc::internal);
}

}  // namespace
}  // namespace cairn::metadata
