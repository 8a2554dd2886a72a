// Three replicas over one bucket and one PostgreSQL database (StorageOptions: blob_bucket and
// metadata_uri both, so each is one of many: pg_engine.h), requests spread over them: pushes,
// manifests, an upload crossing all three, cold pulls through the cache, and GC on one replica
// while the others push. Each replica has a root of its own (its spool), as on its own machine.
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

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

// Three replicas: their roots, servers and a client for each.
class Fleet {
 public:
  Fleet(std::shared_ptr<s3::Bucket> bucket, const std::string& db,
        const std::function<void(handlers::ServiceOptions&)>& tune = {}) {
    for (int i = 0; i < 3; ++i) {
      handlers::ServiceOptions s;
      s.storage.blob_bucket = bucket;
      s.storage.blob_location = "s3://test-bucket/cairn";
      s.storage.metadata_uri = db;
      s.start_gc_scheduler = false;
      if (tune)
        tune(s);
      servers_.push_back(
          std::make_unique<TestServer>(roots_[i].path(), server::ServerOptions{}, std::move(s)));
      clients_.push_back(std::make_unique<HttpClient>(servers_.back()->port()));
    }
  }
  HttpClient& client(size_t i) { return *clients_[i % 3]; }
  std::vector<HttpClient*> clients() {
    return {clients_[0].get(), clients_[1].get(), clients_[2].get()};
  }
  TestServer& server(size_t i) { return *servers_[i % 3]; }
  uint16_t port(size_t i) { return servers_[i % 3]->port(); }

 private:
  TempDir roots_[3];
  std::vector<std::unique_ptr<TestServer>> servers_;
  std::vector<std::unique_ptr<HttpClient>> clients_;
};

HttpResult get_manifest(HttpClient& c, const std::string& name, const std::string& ref) {
  return c.request("GET", "/v2/" + name + "/manifests/" + ref, {},
                   {{"Accept", std::string(kOciManifestType)}});
}

TEST(S3Replicas, PushesManifestsAndUploadsCrossReplicas) {
  auto bucket = fresh_rgw_bucket("fleet");
  Fleet fleet(bucket, PostgresServer::shared().fresh_database());
  // Blobs through replica 0, the manifest through 1: served by all three at once.
  Image img = push_image_blobs(fleet.client(0), "team/app", 7);
  ASSERT_EQ(put_manifest(fleet.client(1), "team/app", "v1", img.manifest, kOciManifestType).status,
            201u);
  for (size_t i = 0; i < 3; ++i) {
    auto m = get_manifest(fleet.client(i), "team/app", "v1");
    ASSERT_EQ(m.status, 200u) << i;
    EXPECT_EQ(m.header("docker-content-digest"), img.digest) << i;
    auto layer = fleet.client(i).request("GET", "/v2/team/app/blobs/" + img.layer.digest);
    EXPECT_EQ(layer.status, 200u) << i;
    EXPECT_EQ(digest_of(layer.body), img.layer.digest) << i;
  }
  // An upload crossing all three (S3 parts from two of them), then read on each.
  const std::string big = blob_bytes(12 * kMiB + 5, 3);
  auto put = chunked_push(fleet.clients(), "team/app", big, 5 * kMiB + 1);
  ASSERT_EQ(put.status, 201u) << put.body;
  for (size_t i = 0; i < 3; ++i) {
    auto got = fleet.client(i).request("GET", "/v2/team/app/blobs/" + digest_of(big));
    ASSERT_EQ(got.status, 200u) << i;
    EXPECT_TRUE(got.body == big) << i;
  }
  // A tag moved through one replica is seen moved by the others.
  Image next = push_image_blobs(fleet.client(2), "team/app", 8);
  ASSERT_EQ(put_manifest(fleet.client(2), "team/app", "v1", next.manifest, kOciManifestType).status,
            201u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(get_manifest(fleet.client(i), "team/app", "v1").header("docker-content-digest"),
              next.digest)
        << i;
}

// Sixteen cold pulls of one blob spread over the three replicas: one upstream GET for the
// fleet, every body byte-exact.
TEST(S3Replicas, ColdPullsAcrossTheFleetMakeOneUpstreamGet) {
  auto bucket = fresh_rgw_bucket("fleet");
  FakeUpstream up;
  const std::string bytes = blob_bytes(6 * kMiB + 11, 41);
  const std::string digest = up.add_blob("team/app", bytes);
  Fleet fleet(bucket, PostgresServer::shared().fresh_database(), [&](handlers::ServiceOptions& s) {
    upstream::Endpoint ep;
    ep.host = "up.test";
    ep.url = up.url();
    s.cache.upstreams = {ep};
  });
  std::vector<std::thread> pullers;
  std::vector<HttpResult> got(16);
  for (size_t i = 0; i < got.size(); ++i) {
    pullers.emplace_back([&, i] {
      HttpClient c(fleet.port(i));
      got[i] = c.request("GET", "/v2/up.test/team/app/blobs/" + digest);
    });
  }
  for (auto& t : pullers)
    t.join();
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].status, 200u) << i;
    EXPECT_TRUE(got[i].body == bytes) << i << ": " << got[i].body.size();
  }
  EXPECT_EQ(up.count("GET", "/blobs/" + digest), 1u);
}

// GC on one replica, again and again, while the two others push images without leases (the
// grace protects their blobs until the manifest refers to them): nothing referenced is lost,
// and garbage older than the grace goes from the bucket.
TEST(S3Replicas, GcOnOneReplicaWhileOthersPushLosesNothing) {
  auto bucket = fresh_rgw_bucket("fleet");
  Fleet fleet(bucket, PostgresServer::shared().fresh_database(),
              [](handlers::ServiceOptions& s) { s.storage.gc.grace = std::chrono::seconds(3); });
  const std::string garbage = push_blob(fleet.client(1), "team/junk", "referenced by nothing");
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));

  std::atomic<int> pushers_left{2};
  std::vector<std::vector<Image>> pushed(2);
  std::vector<std::thread> pushers;
  for (int p = 0; p < 2; ++p) {
    pushers.emplace_back([&, p] {
      HttpClient c(fleet.port(1 + p));
      for (uint32_t i = 0; i < 12; ++i) {
        const std::string name = "team/app" + std::to_string(p);
        Image img = push_image_blobs(c, name, 100 * (p + 1) + i);
        auto r = put_manifest(c, name, "t" + std::to_string(i), img.manifest, kOciManifestType);
        EXPECT_EQ(r.status, 201u) << r.body;
        pushed[p].push_back(std::move(img));
      }
      --pushers_left;
    });
  }
  int runs = 0;
  while (pushers_left.load() > 0 || runs < 2) {
    auto stats = fleet.server(0).service().storage().collector().collect();
    ASSERT_TRUE(stats) << stats.error().detail;
    ++runs;
  }
  for (auto& t : pushers)
    t.join();
  ASSERT_TRUE(fleet.server(0).service().storage().collector().collect());
  EXPECT_GE(runs, 2);
  for (int p = 0; p < 2; ++p) {
    const std::string name = "team/app" + std::to_string(p);
    for (size_t i = 0; i < pushed[p].size(); ++i) {
      const Image& img = pushed[p][i];
      HttpClient& c = fleet.client(i);
      auto m = get_manifest(c, name, "t" + std::to_string(i));
      EXPECT_EQ(m.status, 200u) << name << " " << i;
      for (const std::string& d : {img.config.digest, img.layer.digest}) {
        auto b = c.request("GET", "/v2/" + name + "/blobs/" + d);
        EXPECT_EQ(b.status, 200u) << name << " " << i << " " << d;
        EXPECT_EQ(digest_of(b.body), d);
      }
    }
  }
  EXPECT_EQ(fleet.client(2).request("HEAD", "/v2/team/junk/blobs/" + garbage).status, 404u);
  bool in_bucket = false;
  ASSERT_TRUE(bucket->list("blobs/", [&](const content::ObjectEntry& e) {
    in_bucket = in_bucket ||
                e.key == content::BucketStore::blob_key(content::Digest::parse(garbage).value());
    return true;
  }));
  EXPECT_FALSE(in_bucket);
}

// A lease made on one replica holds what a write on another replica carried it for, against GC
// on a third (no grace: only references and leases keep a blob); deleted with ?sync=true on
// the third, its blob goes at once, from every replica and the bucket.
TEST(S3Replicas, LeasesHoldAcrossReplicas) {
  auto bucket = fresh_rgw_bucket("fleet");
  Fleet fleet(bucket, PostgresServer::shared().fresh_database(),
              [](handlers::ServiceOptions& s) { s.storage.gc.grace = std::chrono::seconds(0); });
  auto made = fleet.client(0).request("POST", "/v2/team/app/_leases", R"({"id":"build-7"})");
  ASSERT_EQ(made.status, 201u) << made.body;
  const std::string held = blob_bytes(1000, 71), loose = blob_bytes(1000, 72);
  auto r = fleet.client(1).request("POST", "/v2/team/app/blobs/uploads/?digest=" + digest_of(held),
                                   held, {{"X-Cairn-Lease", "build-7"}});
  ASSERT_EQ(r.status, 201u) << r.body;
  push_blob(fleet.client(1), "team/app", loose);

  auto gc = fleet.client(2).request("POST", "/_admin/gc");
  ASSERT_EQ(gc.status, 200u) << gc.body;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(fleet.client(i).request("HEAD", "/v2/team/app/blobs/" + digest_of(held)).status, 200u)
        << i;
    EXPECT_EQ(fleet.client(i).request("HEAD", "/v2/team/app/blobs/" + digest_of(loose)).status,
              404u)
        << i;
  }
  EXPECT_EQ(fleet.client(2).request("GET", "/v2/team/app/_leases/build-7").status, 200u);

  auto gone = fleet.client(2).request("DELETE", "/v2/team/app/_leases/build-7?sync=true");
  ASSERT_EQ(gone.status, 204u) << gone.body;
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(fleet.client(i).request("HEAD", "/v2/team/app/blobs/" + digest_of(held)).status, 404u)
        << i;
  bool in_bucket = false;
  ASSERT_TRUE(bucket->list("blobs/", [&](const content::ObjectEntry& e) {
    in_bucket = in_bucket || e.key == content::BucketStore::blob_key(
                                          content::Digest::parse(digest_of(held)).value());
    return true;
  }));
  EXPECT_FALSE(in_bucket);
}

}  // namespace
}  // namespace cairn::testing
