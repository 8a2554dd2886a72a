// A full disk under the metadata database and the blob tree (issue 10, §0 and §3): writes fail
// cleanly while the filesystem is full, work again once space is freed (without reopening
// anything by hand), and every write that was acknowledged survives a restart.
//
// The filesystem is a real tmpfs (tests/support/tmpfs.h); without root the tests skip.
#include "storage/metadata/db.h"
#include "storage/storage.h"

#include "storage/metadata/keys.h"
#include "tests/support/tmpfs.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace cairn {
namespace {

using cairn::testing::Tmpfs;

// Keys of the schema's prefix, so the database's own checks accept them.
std::string key(const std::string& name) {
  return metadata::keys::schema_prefix() + "test" + name;
}

// Writes one key through an Update, as every store does.
Result<void> put(metadata::Database& db, const std::string& k, const std::string& v) {
  auto u = db.begin({k});
  u.put(k, v);
  return u.commit();
}

// §0's regression at the Database level: fill the filesystem while writing, free it, write
// again, restart: every write that was answered with success is there, and after the space is
// freed writes succeed again without a restart.
TEST(DiskFullTest, DatabaseKeepsEveryAcknowledgedWriteAcrossFullAndFree) {
  Tmpfs fs(8 << 20);
  if (!fs.mounted())
    GTEST_SKIP() << fs.why();
  const auto dir = fs / "meta";
  std::map<std::string, std::string> acked;
  const std::string value(4096, 'v');
  {
    auto db = metadata::Database::open(dir).value();
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(put(*db, key("before" + std::to_string(i)), value));
      acked[key("before" + std::to_string(i))] = value;
    }
    fs.fill(48 << 10);
    int failed = 0;
    for (int i = 0; i < 200 && failed < 5; ++i) {
      const std::string k = key("full" + std::to_string(i));
      if (auto r = put(*db, k, value); r) {
        acked[k] = value;
      } else {
        ++failed;
        EXPECT_EQ(r.error().code, Errc::no_space) << r.error().detail;
        EXPECT_EQ(r.error().detail.find(fs.path().string()), std::string::npos)
            << "a detail never names a path: " << r.error().detail;
      }
    }
    ASSERT_GT(failed, 0) << "the filesystem never filled";
    // Reads keep working while full.
    for (const auto& [k, v] : acked)
      ASSERT_EQ(db->get(k).value(), v) << k;
    EXPECT_FALSE(db->writable());

    fs.drain();
    int after = 0;
    for (int i = 0; i < 100; ++i) {
      const std::string k = key("afterfree" + std::to_string(i));
      if (auto r = put(*db, k, "after"); r) {
        acked[k] = "after";
        ++after;
      }
    }
    EXPECT_EQ(after, 100) << "writes work again once space is freed, without a restart";
    EXPECT_TRUE(db->writable());
    for (const auto& [k, v] : acked)
      ASSERT_EQ(db->get(k).value(), v) << k;
  }
  // The restart: everything acknowledged is there.
  auto db = metadata::Database::open(dir).value();
  size_t missing = 0;
  for (const auto& [k, v] : acked) {
    auto got = db->get(k).value();
    if (got != v) {
      ++missing;
      ADD_FAILURE() << "acknowledged write lost across the restart: " << k;
      if (missing > 5)
        break;
    }
  }
  EXPECT_EQ(missing, 0u);
}

// Iterators handed out before a reopen keep working (on the old handle) and the reopen waits
// for them; reads during and after it see every acknowledged write.
TEST(DiskFullTest, IteratorsSurviveTheReopen) {
  Tmpfs fs(8 << 20);
  if (!fs.mounted())
    GTEST_SKIP() << fs.why();
  auto db = metadata::Database::open(fs / "meta").value();
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(put(*db, key("k" + std::to_string(i)), "v"));
  auto it = db->cursor();
  it->seek(key("k"));
  ASSERT_TRUE(it->valid());

  fs.fill(16 << 10);
  const std::string big(8192, 'x');
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i)
    failed = !put(*db, key("fill" + std::to_string(i)), big);
  ASSERT_TRUE(failed);
  fs.drain();
  // The open iterator holds the old handle: the write cannot reopen now and is refused.
  EXPECT_FALSE(put(*db, key("blocked"), "v"));
  int seen = 0;
  for (; it->valid() && it->key().starts_with(key("k")); it->next())
    ++seen;
  EXPECT_EQ(seen, 10);
  it.reset();
  ASSERT_TRUE(put(*db, key("after"), "v"));
  EXPECT_EQ(db->get(key("k3")).value(), "v");
}

// §0 at the Storage level: blobs (bytes + records) and tags pushed before, while and after the
// filesystem is full; after a restart every acknowledged blob reads back byte-exact and every
// acknowledged tag is there.
TEST(DiskFullTest, StorageKeepsAcknowledgedBlobsAndTags) {
  Tmpfs fs(16 << 20);
  if (!fs.mounted())
    GTEST_SKIP() << fs.why();
  const auto root = fs / "root";
  const metadata::Scope scope{"repo", {}};
  std::map<std::string, std::string> blobs;  // digest → bytes
  std::set<std::string> tags;
  std::string last;  // the digest of the last blob pushed
  int n = 0;
  // Pushes one blob with a manifest naming it and a tag on the manifest; returns whether all
  // three were acknowledged.
  auto push = [&](Storage& s, const std::string& tag) -> bool {
    const std::string bytes = "blob " + std::to_string(n++) + std::string(20000, 'b');
    const content::Digest d = content::digest_of(bytes);
    auto w = s.content().writer(scope, content::WriterOptions{"up" + std::to_string(n), 0, {}});
    if (!w)
      return false;
    if (!(*w)->write(bytes) || !(*w)->commit(0, d)) {
      w->reset();
      (void)s.content().abort(scope, "up" + std::to_string(n));
      return false;
    }
    blobs[d.str()] = bytes;
    last = d.str();
    metadata::ManifestRecord rec;
    rec.media_type = "application/vnd.oci.image.manifest.v1+json";
    rec.size = static_cast<int64_t>(bytes.size());
    rec.children = {{metadata::ChildKind::layer, d}};
    if (!s.manifests().put("repo", d, rec))
      return false;
    if (!s.tags().put("repo", tag, metadata::Descriptor{d, rec.media_type, rec.size, {}, {}}))
      return false;
    tags.insert(tag);
    return true;
  };
  {
    auto s = Storage::open(root).value();
    ASSERT_TRUE(push(*s, "before"));
    const std::string before = last;
    fs.fill(64 << 10);
    int refused = 0;
    for (int i = 0; i < 100 && refused < 3; ++i)
      refused += push(*s, "full" + std::to_string(i)) ? 0 : 1;
    ASSERT_GT(refused, 0);
    // Blob bytes fill the disk first; small metadata writes (tag moves) go on until the
    // metadata database fails too.
    const auto target = s->tags().get("repo", "before").value().target;
    int tag_refused = 0;
    for (int i = 0; i < 5000 && tag_refused < 3; ++i) {
      const std::string t = "fulltag" + std::to_string(i);
      if (s->tags().put("repo", t, target))
        tags.insert(t);
      else
        ++tag_refused;
    }
    ASSERT_GT(tag_refused, 0) << "the metadata database never failed";
    // Reads keep working while full.
    EXPECT_EQ(s->tags().get("repo", "before").value().target.digest.str(), before);
    fs.drain();
    for (int i = 0; i < 5; ++i)
      EXPECT_TRUE(push(*s, "afterfree" + std::to_string(i))) << i;
  }
  auto s = Storage::open(root).value();
  auto listed = s->tags().list("repo").value();
  std::set<std::string> have(listed.names.begin(), listed.names.end());
  for (const auto& t : tags)
    EXPECT_TRUE(have.contains(t)) << "acknowledged tag lost: " << t;
  for (const auto& [d, bytes] : blobs) {
    auto digest = content::Digest::parse(d).value();
    auto r = s->content().reader(scope, digest);
    ASSERT_TRUE(r) << "acknowledged blob lost: " << d << ": " << r.error().detail;
    std::string got(bytes.size(), '\0');
    auto n_read = (*r)->read_at(std::as_writable_bytes(std::span(got)), 0);
    ASSERT_TRUE(n_read);
    EXPECT_EQ(got, bytes) << d;
  }
}

}  // namespace
}  // namespace cairn
