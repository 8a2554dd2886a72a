// Collector::preview (the dry run of `cairn gc --dry-run` and POST /_admin/gc?dry_run=1): it
// reports what collect() then removes, and removes nothing itself.
#include "tests/unit/storage/gc/fixture.h"

namespace cairn::gc::testing {
namespace {

class PreviewTest : public GcTest {};

TEST_F(PreviewTest, ReportsWhatACollectionRemovesAndRemovesNothing) {
  const std::string kept_data(100, 'k'), dead_data(300, 'd'), shared_data(50, 's');
  const Digest kept = put("app", kept_data);
  const Digest dead = put("app", dead_data);
  const Digest shared = put("app", shared_data);
  put("other", shared_data);  // recorded (and referenced) elsewhere: its file stays
  const Digest m = put_manifest("app", "{\"m\":1}", {child(ChildKind::layer, kept)});
  tag("app", "v1", m);
  const Digest other_m = put_manifest("other", "{\"m\":2}", {child(ChildKind::layer, shared)});
  tag("other", "v1", other_m);
  clock_.advance(2h);  // past the grace period

  auto c = collector();
  auto preview = c->preview();
  ASSERT_TRUE(preview) << preview.error().detail;
  EXPECT_TRUE(preview->dry_run);
  EXPECT_EQ(preview->removed_blobs, 2u);  // dead and shared in app
  EXPECT_EQ(preview->removed_files, 1u);  // dead only
  EXPECT_EQ(preview->removed_bytes, 300);
  EXPECT_EQ(preview->removed_leases, 0u);

  // Nothing went.
  EXPECT_TRUE(visible("app", dead));
  EXPECT_TRUE(visible("app", shared));
  EXPECT_TRUE(file(dead));

  // A second preview says the same; the real run removes exactly that.
  auto again = c->preview();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->removed_blobs, preview->removed_blobs);
  EXPECT_EQ(again->removed_bytes, preview->removed_bytes);
  auto real = c->collect();
  ASSERT_TRUE(real) << real.error().detail;
  EXPECT_FALSE(real->dry_run);
  EXPECT_EQ(real->removed_blobs, preview->removed_blobs);
  EXPECT_EQ(real->removed_files, preview->removed_files);
  EXPECT_EQ(real->removed_bytes, preview->removed_bytes);
  EXPECT_EQ(real->marked, preview->marked);
  EXPECT_FALSE(visible("app", dead));
  EXPECT_FALSE(file(dead));
  EXPECT_TRUE(visible("other", shared));
  EXPECT_TRUE(file(shared));
  EXPECT_TRUE(visible("app", kept));

  auto after = c->preview();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->removed_blobs, 0u);
  EXPECT_EQ(after->removed_files, 0u);
}

TEST_F(PreviewTest, CountsExpiredLeasesAndUploads) {
  auto lease = leases_->create("app", {"l1", {}, clock_.now() + 1min});
  ASSERT_TRUE(lease) << lease.error().detail;
  auto w = cs_->writer(Scope{"app", {}}, {"stale-upload", 0, std::nullopt});
  ASSERT_TRUE(w);
  w->reset();
  clock_.advance(48h);  // the lease and the upload's 24h expiry are past
  auto preview = collector()->preview();
  ASSERT_TRUE(preview) << preview.error().detail;
  EXPECT_EQ(preview->removed_leases, 1u);
  EXPECT_EQ(preview->removed_ingests, 1u);
  auto real = gc();
  EXPECT_EQ(real.removed_leases, 1u);
  EXPECT_EQ(real.removed_ingests, 1u);
}

}  // namespace
}  // namespace cairn::gc::testing
