// The whole server with its blobs in S3 (`--blobs`, StorageOptions::blob_bucket) on a real Ceph
// RGW, with LevelDB or PostgreSQL metadata (tests/support/rgw.h and postgres.h: each engine
// started once for this binary; ctest runs the binary whole). Replicas serving at once are
// replicas_test.cpp's.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "s3/bucket.h"
#include "storage/content/bucket_store.h"
#include "tests/support/fake_upstream.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/postgres.h"
#include "tests/support/rgw_bucket.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

handlers::ServiceOptions over(std::shared_ptr<s3::Bucket> bucket, std::string metadata_uri = {}) {
  handlers::ServiceOptions s;
  s.storage.blob_bucket = std::move(bucket);
  s.storage.blob_location = "s3://test-bucket/cairn";
  s.storage.metadata_uri = std::move(metadata_uri);
  s.start_gc_scheduler = false;
  s.storage.gc.grace = std::chrono::nanoseconds(0);  // only references keep a blob
  return s;
}

// The blob keys in the bucket.
std::vector<std::string> blob_keys(s3::Bucket& bucket) {
  std::vector<std::string> out;
  auto r = bucket.list("blobs/", [&](const content::ObjectEntry& e) {
    out.push_back(e.key);
    return true;
  });
  EXPECT_TRUE(r) << r.error().detail;
  return out;
}

std::string blob_key(const std::string& digest) {
  return content::BucketStore::blob_key(content::Digest::parse(digest).value());
}

TEST(S3Blobs, PushPullRangeRestartDeleteAndCollect) {
  TempDir root;
  auto bucket = fresh_rgw_bucket("cairn");
  const std::string big = blob_bytes(12 * kMiB + 333, 5);  // parts, and a last one
  std::string manifest_digest, layer_digest, big_digest = digest_of(big);
  {
    TestServer server(root.path(), {}, over(bucket));
    HttpClient c(server.port());
    Image img = push_image_blobs(c, "team/app", 3);
    ASSERT_EQ(put_manifest(c, "team/app", "v1", img.manifest, kOciManifestType).status, 201u);
    manifest_digest = img.digest;
    layer_digest = img.layer.digest;
    HttpClient* one = &c;
    auto put = chunked_push({one}, "team/app", big, 5 * kMiB + 17);
    ASSERT_EQ(put.status, 201u) << put.body;
    // Nothing of the blobs is under the root: they are objects.
    EXPECT_FALSE(std::filesystem::exists(root.path() / "content"));
  }
  TestServer server(root.path(), {}, over(bucket));
  HttpClient c(server.port());
  auto got = c.request("GET", "/v2/team/app/blobs/" + big_digest);
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.body.size(), big.size());
  EXPECT_TRUE(got.body == big);
  auto range = c.request("GET", "/v2/team/app/blobs/" + big_digest, {},
                         {{"Range", "bytes=5242000-5243999"}});
  ASSERT_EQ(range.status, 206u);
  EXPECT_EQ(range.body, big.substr(5242000, 2000));
  EXPECT_EQ(range.header("content-range"), "bytes 5242000-5243999/" + std::to_string(big.size()));
  auto head = c.request("HEAD", "/v2/team/app/blobs/" + big_digest);
  EXPECT_EQ(head.header("content-length"), std::to_string(big.size()));
  auto manifest = c.request("GET", "/v2/team/app/manifests/v1", {},
                            {{"Accept", std::string(kOciManifestType)}});
  ASSERT_EQ(manifest.status, 200u);
  EXPECT_EQ(digest_of(manifest.body), manifest_digest);

  // Unreferenced blobs go when GC runs; the referenced layer stays, in the bucket too.
  auto before = blob_keys(*bucket);
  EXPECT_EQ(before.size(), 4u);  // config, layer, manifest, big
  auto stats = server.service().storage().collector().collect();
  ASSERT_TRUE(stats) << stats.error().detail;
  EXPECT_EQ(c.request("HEAD", "/v2/team/app/blobs/" + big_digest).status, 404u);
  auto after = blob_keys(*bucket);
  EXPECT_EQ(after.size(), 3u);
  EXPECT_EQ(std::count(after.begin(), after.end(), blob_key(big_digest)), 0);
  EXPECT_EQ(std::count(after.begin(), after.end(), blob_key(layer_digest)), 1);
  ASSERT_EQ(c.request("DELETE", "/v2/team/app/manifests/" + manifest_digest).status, 202u);
  ASSERT_TRUE(server.service().storage().collector().collect());
  EXPECT_EQ(blob_keys(*bucket), std::vector<std::string>{});
  // The root says where its blobs are: opened without the bucket (an offline command), it is
  // refused rather than judged against an empty tree.
  auto plain = Storage::open(root.path());
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, Errc::failed_precondition) << plain.error().detail;
  EXPECT_NE(plain.error().detail.find("--blobs"), std::string::npos) << plain.error().detail;
}

// --s3-redirect: a blob GET answers 307 with a presigned URL that serves the bytes (and a range)
// from RGW without credentials; HEAD, a blob of another repository and manifests stay cairn's.
TEST(S3Blobs, RedirectSendsBlobGetsToPresignedUrls) {
  TempDir root;
  auto bucket = fresh_rgw_bucket("cairn");
  handlers::ServiceOptions s = over(bucket);
  s.storage.blob_redirect = std::chrono::seconds(60);
  TestServer server(root.path(), {}, std::move(s));
  HttpClient c(server.port());
  const std::string bytes = blob_bytes(3 * kMiB + 5, 8);
  const std::string digest = push_blob(c, "team/app", bytes);
  auto r = c.request("GET", "/v2/team/app/blobs/" + digest);
  ASSERT_EQ(r.status, 307u) << r.body;
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  const std::string location = r.header("location");
  const std::string origin = RgwServer::shared().endpoint();
  ASSERT_TRUE(location.starts_with(origin + "/")) << location;
  EXPECT_NE(location.find("X-Amz-Signature="), std::string::npos) << location;
  HttpClient s3(RgwServer::shared().port());
  auto got = s3.request("GET", location.substr(origin.size()));
  ASSERT_EQ(got.status, 200u) << got.body;
  EXPECT_TRUE(got.body == bytes);
  auto range = s3.request("GET", location.substr(origin.size()), {}, {{"Range", "bytes=10-19"}});
  EXPECT_EQ(range.status, 206u);
  EXPECT_EQ(range.body, bytes.substr(10, 10));
  // A tampered URL is refused by the object store.
  std::string forged = location.substr(origin.size());
  forged[forged.find("X-Amz-Signature=") + 16] ^= 1;
  EXPECT_EQ(s3.request("GET", forged).status, 403u);
  auto head = c.request("HEAD", "/v2/team/app/blobs/" + digest);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("content-length"), std::to_string(bytes.size()));
  // Not this repository's: 404 as ever, no URL given away.
  auto other = c.request("GET", "/v2/team/other/blobs/" + digest);
  EXPECT_EQ(other.status, 404u);
  EXPECT_EQ(other.header("location"), "");
}

// The pull-through cache over S3: concurrent cold pulls of one blob make one upstream GET, the
// clients following the fill through its spool file; then the blob is served from the bucket.
TEST(S3Blobs, CacheFillsFollowTheSpoolAndLandInTheBucket) {
  TempDir root;
  auto bucket = fresh_rgw_bucket("cairn");
  FakeUpstream up;
  const std::string bytes = blob_bytes(9 * kMiB + 7, 31);
  const std::string digest = up.add_blob("team/app", bytes);
  handlers::ServiceOptions s = over(bucket);
  upstream::Endpoint ep;
  ep.host = "up.test";
  ep.url = up.url();
  s.cache.upstreams = {ep};
  TestServer server(root.path(), {}, std::move(s));
  std::vector<std::thread> pullers;
  std::vector<std::string> got(6);
  for (size_t i = 0; i < got.size(); ++i) {
    pullers.emplace_back([&, i] {
      HttpClient c(server.port());
      got[i] = c.request("GET", "/v2/up.test/team/app/blobs/" + digest).body;
    });
  }
  for (auto& t : pullers)
    t.join();
  for (const std::string& body : got)
    EXPECT_TRUE(body == bytes) << body.size();
  EXPECT_EQ(up.count("GET", "/blobs/" + digest), 1u);
  const auto keys = blob_keys(*bucket);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), blob_key(digest)), 1);
  HttpClient c(server.port());
  EXPECT_TRUE(c.request("GET", "/v2/up.test/team/app/blobs/" + digest).body == bytes);
  EXPECT_EQ(up.count("GET", "/blobs/" + digest), 1u);
}

// An upload whose replica is gone (its process ended without a word) is finished on another:
// every byte a 202 acknowledged is there.
TEST(S3Replicas, AnUploadOutlivesItsReplica) {
  auto bucket = fresh_rgw_bucket("cairn");
  const std::string db = PostgresServer::shared().fresh_database();
  TempDir a, b;
  const std::string layer = blob_bytes(7 * kMiB + 3, 21);
  const size_t first = 6 * kMiB;
  std::string location;
  {
    TestServer gone(a.path(), {}, over(bucket, db));
    HttpClient c(gone.port());
    auto started = c.request("POST", "/v2/fleet/app/blobs/uploads/");
    ASSERT_EQ(started.status, 202u);
    auto r = c.request("PATCH", started.header("location"), layer.substr(0, first),
                       {{"Content-Type", "application/octet-stream"}});
    ASSERT_EQ(r.status, 202u) << r.body;
    location = r.header("location");
  }
  TestServer server(b.path(), {}, over(bucket, db));
  HttpClient c(server.port());
  auto status = c.request("GET", location);
  ASSERT_EQ(status.status, 204u) << status.body;
  EXPECT_EQ(status.header("range"), "0-" + std::to_string(first - 1));
  auto r = c.request("PATCH", location, layer.substr(first),
                     {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(r.status, 202u) << r.body;
  const std::string loc = r.header("location");
  const char* sep = loc.find('?') == std::string::npos ? "?" : "&";
  auto put = c.request("PUT", loc + sep + "digest=" + digest_of(layer));
  ASSERT_EQ(put.status, 201u) << put.body;
  auto got = c.request("GET", "/v2/fleet/app/blobs/" + digest_of(layer));
  EXPECT_TRUE(got.body == layer);
}

}  // namespace
}  // namespace cairn::testing
