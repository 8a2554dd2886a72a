// A server whose data root is a small tmpfs (issue 10 §3): pushes until the disk (or the
// --min-free-bytes floor) is reached get 507 with the OCI error body and Retry-After, nothing
// partial becomes visible, reads keep working, /readyz says why it is not ready, and after space
// is freed (deletes + GC, or another process's file removed) pushes succeed again without a
// restart; a restart then keeps every acknowledged write.
//
// Needs root to mount the tmpfs (tests/support/tmpfs.h); skips otherwise.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"
#include "tests/support/tmpfs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

constexpr size_t kBlob = 4 << 20;

handlers::ServiceOptions options(std::optional<uint64_t> min_free) {
  handlers::ServiceOptions o;
  o.storage.min_free_bytes = min_free;
  o.storage.gc.grace = std::chrono::nanoseconds(0);
  o.start_gc_scheduler = false;
  return o;
}

// One image: a config, a layer of kBlob bytes, the manifest under `tag`. Returns the first
// status that was not a success (0: all acknowledged) and the failing answer.
struct Pushed {
  unsigned failed = 0;
  HttpResult answer;
  std::string layer;     // digest
  std::string manifest;  // digest
};
Pushed push_image(HttpClient& c, const std::string& name, const std::string& tag, uint32_t seed) {
  Pushed p;
  const std::string config = R"({"seed":)" + std::to_string(seed) + "}";
  const std::string layer = blob_bytes(kBlob, seed);
  for (const std::string* data : {&config, &layer}) {
    const std::string d = digest_of(*data);
    auto r = c.request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + d, *data);
    if (r.status != 201) {
      p.failed = r.status;
      p.answer = r;
      p.layer = d;
      return p;
    }
  }
  p.layer = digest_of(layer);
  const std::string manifest = image_manifest(
      kOciManifestType, {std::string(kOciConfigType), digest_of(config), config.size(), {}},
      {{std::string(kOciLayerType), p.layer, layer.size(), {}}});
  p.manifest = digest_of(manifest);
  auto r = put_manifest(c, name, tag, manifest, kOciManifestType);
  if (r.status != 201) {
    p.failed = r.status;
    p.answer = r;
  }
  return p;
}

void expect_clean_refusal(const HttpResult& r) {
  EXPECT_TRUE(r.status == 507u || r.status == 500u) << r.status << " " << r.body;
  EXPECT_FALSE(error_code(r).empty()) << "an OCI error body: " << r.body;
  if (r.status == 507u) {
    EXPECT_EQ(error_code(r), "INSUFFICIENT_STORAGE");
    EXPECT_FALSE(r.header("retry-after").empty());
  }
}

// The floor: 507 before the disk is full; deletes and GC free space; pushes resume; a restart
// keeps every acknowledged image.
TEST(DiskFull, FloorRefusesPushesThenDeleteAndGcFreeSpace) {
  Tmpfs fs(64 << 20);
  if (!fs.mounted())
    GTEST_SKIP() << fs.why();
  const auto root = fs / "root";
  std::map<std::string, Pushed> acked;  // tag → image
  {
    TestServer server(root, {}, options(16 << 20));
    HttpClient c(server.port());
    EXPECT_EQ(c.request("GET", "/readyz").status, 200u);
    Pushed refused;
    for (uint32_t i = 1; i < 40; ++i) {
      auto p = push_image(c, "full/a", "t" + std::to_string(i), i);
      if (p.failed) {
        refused = p;
        break;
      }
      acked["t" + std::to_string(i)] = p;
    }
    ASSERT_NE(refused.failed, 0u) << "the floor never refused";
    EXPECT_EQ(refused.failed, 507u);
    expect_clean_refusal(refused.answer);
    EXPECT_NE(refused.answer.body.find("min-free-bytes"), std::string::npos) << refused.answer.body;
    EXPECT_GE(fs.available(), uint64_t{12} << 20) << "refused before the disk was full";
    // Nothing of the refused blob is visible.
    EXPECT_EQ(c.request("HEAD", "/v2/full/a/blobs/" + refused.layer).status, 404u);
    // The refused push would have crossed the floor; free space may still be just above it.
    // Another process takes what is left above it: now even starting an upload is refused.
    fs.fill(12 << 20);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // FreeSpace caches for 100 ms
    auto post = c.request("POST", "/v2/full/a/blobs/uploads/");
    EXPECT_EQ(post.status, 507u) << post.body;
    expect_clean_refusal(post);
    // Reads keep working.
    const auto& first = acked.begin()->second;
    auto got = c.request("GET", "/v2/full/a/blobs/" + first.layer);
    EXPECT_EQ(got.status, 200u);
    EXPECT_EQ(digest_of(got.body), first.layer);
    EXPECT_EQ(c.request("GET", "/v2/full/a/tags/list").status, 200u);
    EXPECT_EQ(c.request("GET", "/healthz").status, 200u) << "metadata still takes writes";
    auto ready = c.request("GET", "/readyz");
    EXPECT_EQ(ready.status, 503u);
    EXPECT_NE(ready.body.find("min-free-bytes"), std::string::npos) << ready.body;
    fs.drain();

    // Delete half the images, collect, push again.
    std::vector<std::string> dropped;
    for (const auto& [tag, p] : acked) {
      if (dropped.size() * 2 >= acked.size())
        break;
      ASSERT_EQ(c.request("DELETE", "/v2/full/a/manifests/" + p.manifest).status, 202u);
      dropped.push_back(tag);
    }
    for (const auto& t : dropped)
      acked.erase(t);
    ASSERT_EQ(c.request("POST", "/_admin/gc").status, 200u);
    EXPECT_EQ(c.request("GET", "/readyz").status, 200u);
    auto again = push_image(c, "full/a", "again", 1000);
    EXPECT_EQ(again.failed, 0u) << again.answer.body;
    if (!again.failed)
      acked["again"] = again;
  }
  TestServer server(root, {}, options(16 << 20));
  HttpClient c(server.port());
  for (const auto& [tag, p] : acked) {
    EXPECT_EQ(c.request("HEAD", "/v2/full/a/manifests/" + tag).status, 200u) << tag;
    auto got = c.request("GET", "/v2/full/a/blobs/" + p.layer);
    EXPECT_EQ(got.status, 200u) << tag;
    EXPECT_EQ(digest_of(got.body), p.layer) << tag;
  }
}

// No floor: the disk really fills (ENOSPC in the blob tree and in LevelDB). Every refusal is
// clean; freeing the space (another process's file) lets pushes resume without a restart; a
// restart keeps every acknowledged image and tag.
TEST(DiskFull, RealEnospcThenFreedWithoutRestart) {
  Tmpfs fs(64 << 20);
  if (!fs.mounted())
    GTEST_SKIP() << fs.why();
  const auto root = fs / "root";
  std::map<std::string, Pushed> acked;
  {
    TestServer server(root, {}, options(0));
    HttpClient c(server.port());
    auto p = push_image(c, "enospc/a", "before", 1);
    ASSERT_EQ(p.failed, 0u) << p.answer.body;
    acked["before"] = p;
    fs.fill(6 << 20);
    Pushed refused;
    for (uint32_t i = 2; i < 10 && !refused.failed; ++i) {
      auto q = push_image(c, "enospc/a", "t" + std::to_string(i), i);
      if (q.failed)
        refused = q;
      else
        acked["t" + std::to_string(i)] = q;
    }
    ASSERT_NE(refused.failed, 0u);
    expect_clean_refusal(refused.answer);
    EXPECT_EQ(c.request("HEAD", "/v2/enospc/a/blobs/" + refused.layer).status, 404u);
    // Metadata writes until they fail too (tags on the first manifest).
    const std::string manifest_body = c.request("GET", "/v2/enospc/a/manifests/before").body;
    unsigned meta_failed = 0;
    for (int i = 0; i < 20000 && !meta_failed; ++i) {
      const std::string tag = "m" + std::to_string(i);
      auto r = put_manifest(c, "enospc/a", tag, manifest_body, kOciManifestType);
      if (r.status == 201) {
        acked[tag] = acked["before"];
      } else {
        meta_failed = r.status;
        expect_clean_refusal(r);
      }
    }
    if (meta_failed) {
      EXPECT_EQ(c.request("GET", "/healthz").status, 503u);
      EXPECT_EQ(c.request("GET", "/readyz").status, 503u);
    }
    EXPECT_EQ(c.request("GET", "/v2/enospc/a/manifests/before").status, 200u);

    fs.drain();
    EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
    EXPECT_EQ(c.request("GET", "/readyz").status, 200u);
    auto after = push_image(c, "enospc/a", "afterfree", 100);
    EXPECT_EQ(after.failed, 0u) << after.answer.body;
    if (!after.failed)
      acked["afterfree"] = after;
  }
  TestServer server(root, {}, options(0));
  HttpClient c(server.port());
  size_t lost = 0;
  for (const auto& [tag, p] : acked) {
    if (c.request("HEAD", "/v2/enospc/a/manifests/" + tag).status != 200u && ++lost < 5)
      ADD_FAILURE() << "acknowledged tag lost: " << tag;
  }
  EXPECT_EQ(lost, 0u);
  for (const char* tag : {"before", "afterfree"}) {
    if (!acked.contains(tag))
      continue;
    auto got = c.request("GET", "/v2/enospc/a/blobs/" + acked[tag].layer);
    EXPECT_EQ(got.status, 200u) << tag;
    EXPECT_EQ(digest_of(got.body), acked[tag].layer);
  }
}

}  // namespace
}  // namespace cairn::testing
