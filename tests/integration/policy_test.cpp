// Retention and quotas through the real server (issue 11 §3, §4; README "Retention", "Quotas").
#include "tests/support/http_client.h"
#include "tests/support/metrics_page.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bytes in the ingest directories' data files (an upload's bytes live there until commit).
uintmax_t ingest_bytes(const fs::path& root) {
  uintmax_t n = 0;
  fs::path dir = root / "content" / "ingest";
  if (!fs::exists(dir))
    return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename() == "data")
      n += e.file_size();
  }
  return n;
}

bool blob_file(const fs::path& root, const std::string& digest) {
  return fs::exists(root / "content" / "blobs" / "sha256" / digest.substr(7));
}

handlers::ServiceOptions retention_service(ManualClock& clock) {
  handlers::ServiceOptions s;
  s.start_gc_scheduler = false;  // the test runs GC by hand
  s.storage.clock = &clock;
  s.storage.gc.grace = std::chrono::nanoseconds(0);
  gc::RetentionRule keep2;
  keep2.repositories = {"ret/**"};
  keep2.keep_newest = 2;
  s.storage.retention.rules.push_back(keep2);
  return s;
}

TEST(Retention, KeepTwoNewestTagsThenOneGcRemovesTheOthersUniqueBlobs) {
  ManualClock clock;
  TestServer server({}, retention_service(clock));
  HttpClient c(server.port());
  std::vector<Image> images;
  for (uint32_t i = 0; i < 5; ++i) {
    clock.advance(std::chrono::minutes(1));  // tag i is pushed after tag i-1
    Image img = push_image_blobs(c, "ret/app", i + 1);
    ASSERT_EQ(
        put_manifest(c, "ret/app", "v" + std::to_string(i), img.manifest, kOciManifestType).status,
        201u);
    images.push_back(img);
  }
  Image other = push_image_blobs(c, "keep/app", 9);
  ASSERT_EQ(put_manifest(c, "keep/app", "v0", other.manifest, kOciManifestType).status, 201u);

  // A dry run says what would go and changes nothing.
  auto r = c.request("POST", "/_admin/gc?dry_run=1");
  ASSERT_EQ(r.status, 200u) << r.body;
  json dry = json::parse(r.body);
  EXPECT_EQ(dry["dryRun"], true);
  EXPECT_EQ(dry["retention"]["removedTags"], 3);
  EXPECT_EQ(dry["retention"]["tags"], json({"ret/app:v0", "ret/app:v1", "ret/app:v2"}));
  EXPECT_EQ(json::parse(c.request("GET", "/v2/ret/app/tags/list").body)["tags"].size(), 5u);

  r = c.request("POST", "/_admin/gc");
  ASSERT_EQ(r.status, 200u) << r.body;
  json stats = json::parse(r.body);
  EXPECT_EQ(stats["retention"]["removedTags"], 3);
  EXPECT_EQ(stats["retention"]["removedManifests"], 3);
  EXPECT_EQ(stats["retention"]["dryRun"], false);
  // Retention deleted the 3 manifests with their own blob records; GC then removed the 3
  // configs' and layers' records and the 9 files.
  EXPECT_EQ(stats["removedBlobs"], 6);
  EXPECT_EQ(stats["removedFiles"], 9);
  EXPECT_EQ(json::parse(c.request("GET", "/v2/ret/app/tags/list").body)["tags"],
            json({"v3", "v4"}));
  for (size_t i = 0; i < images.size(); ++i) {
    const bool kept = i >= 3;
    for (const std::string& d :
         {images[i].layer.digest, images[i].config.digest, images[i].digest}) {
      EXPECT_EQ(c.request("HEAD", "/v2/ret/app/blobs/" + d).status, kept ? 200u : 404u) << i;
      EXPECT_EQ(blob_file(server.root(), d), kept) << i << " " << d;
    }
  }
  // A repository no rule governs keeps everything.
  EXPECT_EQ(c.request("GET", "/v2/keep/app/manifests/v0").status, 200u);
  EXPECT_EQ(json::parse(c.request("GET", "/_admin/gc").body)["retention"]["removedTags"], 3);
  // And in the metrics.
  const std::string page = c.request("GET", "/metrics").body;
  EXPECT_EQ(sample_value(page, "cairn_gc_retention_removed_tags_total"), 3) << page;
  EXPECT_EQ(sample_value(page, "cairn_gc_retention_removed_manifests_total"), 3);
}

handlers::ServiceOptions quota_service() {
  handlers::ServiceOptions s;
  s.start_gc_scheduler = false;
  s.storage.quotas.rules.push_back({{"q/**"}, 1 << 20});
  return s;
}

TEST(Quota, A2MiBBlobIsRefusedBeforeItsBytesAreStored) {
  TestServer server({}, quota_service());
  HttpClient c(server.port());
  const std::string big = blob_bytes(2 << 20);
  const std::string d = digest_of(big);
  auto r = c.request("POST", "/v2/q/app/blobs/uploads/?digest=" + d, big,
                     {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(error_code(r), "DENIED");
  EXPECT_NE(r.body.find("q/**"), std::string::npos) << r.body;
  EXPECT_EQ(ingest_bytes(server.root()), 0u);
  EXPECT_FALSE(blob_file(server.root(), d));
  HttpClient c2(server.port());
  EXPECT_EQ(c2.request("HEAD", "/v2/q/app/blobs/" + d).status, 404u);

  // A chunk whose Content-Range passes the limit is refused before it is read.
  r = c2.request("POST", "/v2/q/app/blobs/uploads/");
  ASSERT_EQ(r.status, 202u);
  const std::string location = r.header("location");
  HttpClient c3(server.port());
  r = c3.request("PATCH", location, big,
                 {{"Content-Range", "0-" + std::to_string(big.size() - 1)},
                  {"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(error_code(r), "DENIED");
  EXPECT_EQ(ingest_bytes(server.root()), 0u);

  // What fits is accepted, and _quota shows use and limit.
  HttpClient c4(server.port());
  const std::string small = blob_bytes(1000);
  push_blob(c4, "q/app", small);
  r = c4.request("GET", "/v2/q/app/_quota");
  ASSERT_EQ(r.status, 200u) << r.body;
  json q = json::parse(r.body);
  EXPECT_EQ(q["usedBytes"], 1000);
  EXPECT_EQ(q["limitBytes"], 1 << 20);
  EXPECT_EQ(q["rule"], "q/**");
  r = c4.request("GET", "/v2/free/app/_quota");
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(json::parse(r.body)["limitBytes"].is_null());

  // A PUT whose Content-Length takes the use past the limit: refused before its body is read.
  r = c4.request("POST", "/v2/q/app/blobs/uploads/");
  ASSERT_EQ(r.status, 202u);
  const std::string loc2 = r.header("location");
  const std::string mid = blob_bytes(1 << 20, 7);
  r = c4.request("PUT", loc2 + "?digest=" + digest_of(mid), mid);
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(error_code(r), "DENIED");
  EXPECT_FALSE(blob_file(server.root(), digest_of(mid)));
}

TEST(Quota, AManifestOverTheLimitIsRefusedAndNotRecorded) {
  constexpr int64_t kLimit = 1300;
  handlers::ServiceOptions options = quota_service();
  options.storage.quotas.rules.insert(options.storage.quotas.rules.begin(), {{"m/**"}, kLimit});
  TestServer server({}, options);
  HttpClient c(server.port());
  Image img = push_image_blobs(c, "m/app", 1);
  const int64_t blobs = static_cast<int64_t>(img.config.size + img.layer.size);
  ASSERT_LT(blobs, kLimit);  // the blobs fit; with the manifest's bytes they would not
  ASSERT_GT(blobs + static_cast<int64_t>(img.manifest.size()), kLimit);

  auto r = put_manifest(c, "m/app", "v1", img.manifest, kOciManifestType);
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(error_code(r), "DENIED");
  EXPECT_NE(r.body.find("m/**"), std::string::npos) << r.body;
  EXPECT_EQ(c.request("GET", "/v2/m/app/manifests/v1").status, 404u);
  EXPECT_EQ(c.request("GET", "/v2/m/app/manifests/" + img.digest).status, 404u);
  EXPECT_EQ(json::parse(c.request("GET", "/v2/m/app/_quota").body)["usedBytes"], blobs);

  // Under a larger quota the same image is taken.
  Image fits = push_image_blobs(c, "q/app", 1);
  EXPECT_EQ(put_manifest(c, "q/app", "v1", fits.manifest, kOciManifestType).status, 201u);
}

}  // namespace
}  // namespace cairn::testing
