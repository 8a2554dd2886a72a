// The server with its point reads on the offload pool (AsyncStorageOptions::inline_lookups =
// false, what a store whose reads cross a network sets): every route that reads by lookup
// answers as it does with them inline. The lookups' functions then run on a pool thread while
// the request's coroutine waits, holding references into its frame: ASan would catch one that
// outlived it.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cairn::testing {
namespace {

using nlohmann::json;

handlers::ServiceOptions lookups_on_the_pool() {
  handlers::ServiceOptions o;
  o.async_storage.inline_lookups = false;
  return o;
}

class PoolLookups : public ::testing::Test {
 protected:
  TestServer srv_{{}, lookups_on_the_pool()};
  HttpClient c_{srv_.port()};
};

TEST_F(PoolLookups, BlobsAndManifestsReadBackByTagDigestAndRange) {
  const std::string name = "lib/pool";
  Image img = push_image_blobs(c_, name, 7);
  auto put = put_manifest(c_, name, "v1", img.manifest, kOciManifestType);
  ASSERT_EQ(put.status, 201u) << put.body;

  for (const std::string& ref : {std::string("v1"), img.digest}) {
    auto got = c_.request("GET", "/v2/" + name + "/manifests/" + ref, {},
                          {{"Accept", std::string(kOciManifestType)}});
    ASSERT_EQ(got.status, 200u) << ref << ": " << got.body;
    EXPECT_EQ(got.body, img.manifest);
    EXPECT_EQ(got.header("docker-content-digest"), img.digest);
    auto head = c_.request("HEAD", "/v2/" + name + "/manifests/" + ref);
    EXPECT_EQ(head.status, 200u) << ref;
    EXPECT_EQ(head.header("content-length"), std::to_string(img.manifest.size()));
  }
  auto missing = c_.request("GET", "/v2/" + name + "/manifests/v2");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(error_code(missing), "MANIFEST_UNKNOWN");

  const std::string layer = blob_bytes(1000 + 7, 7);
  auto head = c_.request("HEAD", "/v2/" + name + "/blobs/" + img.layer.digest);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("content-length"), std::to_string(layer.size()));
  auto range = c_.request("GET", "/v2/" + name + "/blobs/" + img.layer.digest, {},
                          {{"Range", "bytes=10-19"}});
  EXPECT_EQ(range.status, 206u);
  EXPECT_EQ(range.body, layer.substr(10, 10));
  auto unknown = c_.request("HEAD", "/v2/" + name + "/blobs/" + digest_of("not pushed"));
  EXPECT_EQ(unknown.status, 404u);

  auto info = c_.request("GET", "/v2/" + name + "/_content/blobs/" + img.layer.digest);
  ASSERT_EQ(info.status, 200u) << info.body;
  EXPECT_EQ(json::parse(info.body)["size"], layer.size());
}

TEST_F(PoolLookups, ALeaseNamedByAWriteIsLookedUp) {
  const std::string name = "lib/pool";
  auto lease = c_.request("POST", "/v2/" + name + "/_leases", R"({"id":"build-1"})");
  ASSERT_EQ(lease.status, 201u) << lease.body;
  auto got = c_.request("GET", "/v2/" + name + "/_leases/build-1");
  ASSERT_EQ(got.status, 200u) << got.body;
  EXPECT_EQ(json::parse(got.body)["id"], "build-1");

  const std::string data = blob_bytes(300, 3);
  const std::string digest = digest_of(data);
  auto pushed =
      c_.request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + digest, data,
                 {{"Content-Type", "application/octet-stream"}, {"X-Cairn-Lease", "build-1"}});
  ASSERT_EQ(pushed.status, 201u) << pushed.body;
  auto resources = c_.request("GET", "/v2/" + name + "/_leases/build-1/resources");
  ASSERT_EQ(resources.status, 200u);
  EXPECT_NE(resources.body.find(digest), std::string::npos) << resources.body;

  auto unknown = c_.request("POST", "/v2/" + name + "/blobs/uploads/", {},
                            {{"X-Cairn-Lease", "no-such-lease"}});
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(error_code(unknown), "LEASE_UNKNOWN");
}

}  // namespace
}  // namespace cairn::testing
