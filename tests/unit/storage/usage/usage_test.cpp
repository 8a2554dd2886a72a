// compute_usage (storage/usage.h) over a real Storage on a temp dir: per namespace bytes, the
// unique/shared split, pushed vs cache totals with each blob counted once, manifests, tags,
// uploads in progress, and the blob tree's files (unrecorded ones too).
#include "storage/usage.h"

#include "storage/content/digest.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

using content::Digest;
using metadata::Scope;

class UsageTest : public ::testing::Test {
 protected:
  UsageTest() {
    StorageOptions o;
    o.clock = &clock_;
    storage_ = Storage::open(dir_.path(), o).value();
  }

  Digest put(const std::string& ns, const std::string& data) {
    const Digest d = content::digest_of(data);
    auto w = storage_->content().writer(
        Scope{ns, {}}, {"up-" + std::to_string(++refs_), static_cast<int64_t>(data.size()), d});
    if (!w) {
      EXPECT_EQ(w.error().code, Errc::already_exists) << w.error().detail;
      return d;
    }
    EXPECT_TRUE((*w)->write(data));
    EXPECT_TRUE((*w)->commit(static_cast<int64_t>(data.size()), d));
    return d;
  }

  Usage usage() {
    UsageOptions o;
    o.is_cache = [](std::string_view ns) { return ns.starts_with("docker.io/"); };
    auto u = compute_usage(*storage_, o);
    EXPECT_TRUE(u) << u.error().detail;
    return u ? *u : Usage{};
  }

  static const NamespaceUsage* find(const Usage& u, std::string_view ns) {
    for (const auto& n : u.namespaces) {
      if (n.name == ns)
        return &n;
    }
    return nullptr;
  }

  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Storage> storage_;
  int refs_ = 0;
};

TEST_F(UsageTest, EmptyRootHasNothing) {
  Usage u = usage();
  EXPECT_TRUE(u.namespaces.empty());
  EXPECT_EQ(u.all, UsageCount{});
  EXPECT_EQ(u.files, UsageCount{});
  EXPECT_EQ(u.referenced_bytes, 0);
}

TEST_F(UsageTest, SharedBlobsCountOncePerRootAndAsSharedInEachNamespace) {
  const std::string x(100, 'x'), y(200, 'y'), z(50, 'z'), w(10, 'w');
  put("team/a", x);
  put("team/a", y);
  put("team/b", y);  // shared by a and b
  put("team/b", z);
  put("docker.io/library/c", z);  // shared by b (pushed) and a cache namespace
  put("docker.io/library/c", w);

  Usage u = usage();
  ASSERT_EQ(u.namespaces.size(), 3u);
  // Name order (keys.h): "docker.io/..." < "team/a" < "team/b".
  EXPECT_EQ(u.namespaces[0].name, "docker.io/library/c");
  EXPECT_EQ(u.namespaces[1].name, "team/a");

  const NamespaceUsage* a = find(u, "team/a");
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->cache);
  EXPECT_EQ(a->blobs, (UsageCount{2, 300}));
  EXPECT_EQ(a->unique, (UsageCount{1, 100}));
  EXPECT_EQ(a->shared, (UsageCount{1, 200}));

  const NamespaceUsage* b = find(u, "team/b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->blobs, (UsageCount{2, 250}));
  EXPECT_EQ(b->unique, (UsageCount{0, 0}));
  EXPECT_EQ(b->shared, (UsageCount{2, 250}));

  const NamespaceUsage* c = find(u, "docker.io/library/c");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->cache);
  EXPECT_EQ(c->unique, (UsageCount{1, 10}));
  EXPECT_EQ(c->shared, (UsageCount{1, 50}));

  EXPECT_EQ(u.all, (UsageCount{4, 360}));     // x y z w, once each
  EXPECT_EQ(u.pushed, (UsageCount{3, 350}));  // x y z
  EXPECT_EQ(u.cache, (UsageCount{2, 60}));    // z w
  EXPECT_EQ(u.shared, (UsageCount{2, 250}));  // y z
  EXPECT_EQ(u.referenced_bytes, 300 + 250 + 60);
  EXPECT_EQ(u.files, (UsageCount{4, 360}));
}

TEST_F(UsageTest, ManifestsTagsAndUploadsInProgress) {
  const std::string config = R"({"architecture":"amd64","os":"linux"})";
  const Digest cfg = put("app", config);
  const std::string body = R"({"schemaVersion":2,"config":")" + cfg.str() + "\"}";
  const Digest m = put("app", body);
  metadata::ManifestRecord rec;
  rec.media_type = "application/vnd.oci.image.manifest.v1+json";
  rec.size = static_cast<int64_t>(body.size());
  rec.children = {{metadata::ChildKind::config, cfg}};
  ASSERT_TRUE(storage_->manifests().put("app", m, rec));
  metadata::Descriptor target{m, rec.media_type, rec.size, {}, {}};
  ASSERT_TRUE(storage_->tags().put("app", "v1", target));
  ASSERT_TRUE(storage_->tags().put("app", "v2", target));

  // An upload in progress: 1234 bytes received, not committed.
  {
    auto w = storage_->content().writer(Scope{"app", {}}, {"pending", 0, std::nullopt});
    ASSERT_TRUE(w) << w.error().detail;
    ASSERT_TRUE((*w)->write(std::string(1234, 'p')));
  }

  Usage u = usage();
  const NamespaceUsage* app = find(u, "app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->manifests, 1);
  EXPECT_EQ(app->tags, 2);
  EXPECT_EQ(app->blobs, (UsageCount{2, static_cast<int64_t>(config.size() + body.size())}));
  EXPECT_EQ(app->ingests, (UsageCount{1, 1234}));
  EXPECT_EQ(u.ingests, (UsageCount{1, 1234}));
}

TEST_F(UsageTest, UnrecordedFilesShowInTheBlobTreeOnly) {
  put("a", std::string(70, 'a'));
  const std::string orphan(33, 'o');
  const Digest d = content::digest_of(orphan);
  // Bytes committed in the backend without a record (what a crash before the batch leaves).
  auto w = storage_->blobs().writer({"orphan", 33, d});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(orphan));
  ASSERT_TRUE((*w)->commit(33, d));

  Usage u = usage();
  EXPECT_EQ(u.all, (UsageCount{1, 70}));
  EXPECT_EQ(u.files, (UsageCount{2, 103}));
}

TEST_F(UsageTest, WithoutFileScanTheTreeIsNotWalked) {
  put("a", std::string(70, 'a'));
  UsageOptions o;
  o.scan_files = false;
  auto u = compute_usage(*storage_, o);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->files, UsageCount{});
  EXPECT_EQ(u->all, (UsageCount{1, 70}));
  EXPECT_FALSE(u->namespaces.at(0).cache);  // no predicate: nothing is cache
}

}  // namespace
}  // namespace cairn
