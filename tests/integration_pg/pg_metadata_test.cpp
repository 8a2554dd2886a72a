// The whole server with its metadata in PostgreSQL (`--metadata`, StorageOptions::metadata_uri)
// and its blobs under the root, on a throwaway cluster this binary starts once
// (tests/support/postgres.h; ctest runs the binary whole).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "app/du_command.h"
#include "app/fsck_command.h"
#include "app/gc_command.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/postgres.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

namespace cairn::testing {
namespace {

// Each test in a database of its own: records of another test's root would be missing files here.
handlers::ServiceOptions over_postgres(const std::string& uri) {
  handlers::ServiceOptions s;
  s.storage.metadata_uri = uri;
  s.start_gc_scheduler = false;
  s.storage.gc.grace = std::chrono::nanoseconds(0);  // only references keep a blob
  return s;
}

TEST(PgMetadata, PushPullRestartDeleteAndCollect) {
  TempDir root;
  const std::string db = PostgresServer::shared().fresh_database();
  std::string manifest_digest, layer_digest, config_digest;
  {
    TestServer server(root.path(), {}, over_postgres(db));
    HttpClient c(server.port());
    Image img = push_image_blobs(c, "team/app", 7);
    auto put = put_manifest(c, "team/app", "v1", img.manifest, kOciManifestType);
    ASSERT_EQ(put.status, 201u) << put.body;
    manifest_digest = img.digest;
    layer_digest = img.layer.digest;
    config_digest = img.config.digest;
    auto got = c.request("GET", "/v2/team/app/manifests/v1", {},
                         {{"Accept", std::string(kOciManifestType)}});
    ASSERT_EQ(got.status, 200u);
    EXPECT_EQ(got.body, img.manifest);
    EXPECT_EQ(got.header("docker-content-digest"), img.digest);
    auto tags = c.request("GET", "/v2/team/app/tags/list");
    EXPECT_NE(tags.body.find("\"v1\""), std::string::npos) << tags.body;
    // Nothing went to a LevelDB under the root.
    EXPECT_FALSE(std::filesystem::exists(root.path() / "metadata"));
  }
  // A new process over the same root and database serves all of it.
  TestServer server(root.path(), {}, over_postgres(db));
  HttpClient c(server.port());
  auto layer = c.request("GET", "/v2/team/app/blobs/" + layer_digest);
  ASSERT_EQ(layer.status, 200u);
  EXPECT_EQ(digest_of(layer.body), layer_digest);
  auto catalog = c.request("GET", "/v2/_catalog");
  EXPECT_NE(catalog.body.find("team/app"), std::string::npos) << catalog.body;
  // Delete the manifest; GC (over the PostgreSQL cursors and journal) frees its blobs.
  ASSERT_EQ(c.request("DELETE", "/v2/team/app/manifests/" + manifest_digest).status, 202u);
  auto stats = server.service().storage().collector().collect();
  ASSERT_TRUE(stats) << stats.error().detail;
  EXPECT_EQ(c.request("HEAD", "/v2/team/app/blobs/" + layer_digest).status, 404u);
  EXPECT_EQ(c.request("HEAD", "/v2/team/app/blobs/" + config_digest).status, 404u);
  EXPECT_EQ(c.request("GET", "/v2/team/app/manifests/v1").status, 404u);
}

TEST(PgMetadata, ConcurrentPushesAllLand) {
  TempDir root;
  const std::string db = PostgresServer::shared().fresh_database();
  TestServer server(root.path(), {}, over_postgres(db));
  std::atomic<int> failures{0};
  std::vector<std::thread> pushers;
  std::vector<std::string> digests(32);
  for (int t = 0; t < 4; ++t) {
    pushers.emplace_back([&, t] {
      HttpClient c(server.port());
      for (int i = t; i < 32; i += 4) {
        Image img = push_image_blobs(c, "fleet/img" + std::to_string(i % 3), 100 + i);
        auto put = put_manifest(c, "fleet/img" + std::to_string(i % 3), "t" + std::to_string(i),
                                img.manifest, kOciManifestType);
        if (put.status != 201u)
          ++failures;
        digests[i] = img.digest;
      }
    });
  }
  for (auto& p : pushers)
    p.join();
  EXPECT_EQ(failures.load(), 0);
  HttpClient c(server.port());
  for (int i = 0; i < 32; ++i) {
    auto r = c.request("HEAD",
                       "/v2/fleet/img" + std::to_string(i % 3) + "/manifests/t" + std::to_string(i),
                       {}, {{"Accept", std::string(kOciManifestType)}});
    EXPECT_EQ(r.status, 200u) << i;
    EXPECT_EQ(r.header("docker-content-digest"), digests[i]) << i;
  }
}

TEST(PgMetadata, OfflineCommandsUseTheSameDatabase) {
  TempDir root;
  const std::string db = PostgresServer::shared().fresh_database();
  const std::vector<std::string> where = {"--root", root.path().string(), "--metadata", db};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), where.begin(), where.end());
    return more;
  };
  std::string layer, garbage;
  {
    TestServer server(root.path(), {}, over_postgres(db));
    HttpClient c(server.port());
    Image img = push_image_blobs(c, "team/app", 11);
    ASSERT_EQ(put_manifest(c, "team/app", "v1", img.manifest, kOciManifestType).status, 201u);
    layer = img.layer.digest;
    garbage = push_blob(c, "team/app", "referenced by nothing");
    // While a server holds the database, the offline commands are refused.
    std::ostringstream out, err;
    EXPECT_EQ(app::fsck_command(with({}), out, err), 2);
    EXPECT_NE(err.str().find("in use"), std::string::npos) << err.str();
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(app::fsck_command(with({"--json"}), out, err), 0) << err.str() << out.str();
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(app::gc_command(with({"--gc-grace", "0s", "--json"}), out, err), 0) << err.str();
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(app::du_command(with({"--json"}), out, err), 0) << err.str();
    EXPECT_NE(out.str().find("team/app"), std::string::npos) << out.str();
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(
        app::gc_command({"--root", root.path().string(), "--metadata", "mysql://x"}, out, err), 2);
    EXPECT_NE(err.str().find("--metadata wants a PostgreSQL URI"), std::string::npos) << err.str();
  }
  // The collection removed the garbage and kept the image, as the server sees it.
  TestServer server(root.path(), {}, over_postgres(db));
  HttpClient c(server.port());
  EXPECT_EQ(c.request("HEAD", "/v2/team/app/blobs/" + layer).status, 200u);
  EXPECT_EQ(c.request("HEAD", "/v2/team/app/blobs/" + garbage).status, 404u);
}

}  // namespace
}  // namespace cairn::testing
