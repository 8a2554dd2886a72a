// Additions of distribution-spec main: a manifest PUT by digest that names tags (`?tag=`,
// answered with `OCI-Tag` headers), and uploads that announce their digest algorithm
// (`?digest-algorithm=sha512`).
#include "storage/content/digest.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cairn::testing {
namespace {

std::vector<std::string> all(const HttpResult& r, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (k == name)
      out.push_back(v);
  }
  return out;
}

class OciSpecAdditions : public ::testing::Test {
 protected:
  TestServer srv_;
  HttpClient c_{srv_.port()};

  std::vector<std::string> tags(const std::string& name) {
    auto r = c_.request("GET", "/v2/" + name + "/tags/list");
    EXPECT_EQ(r.status, 200u) << r.body;
    return nlohmann::json::parse(r.body)["tags"].get<std::vector<std::string>>();
  }
};

TEST_F(OciSpecAdditions, PutByDigestSetsEveryTagQueried) {
  Image img = push_image_blobs(c_, "tagq/app", 1);
  auto r = put_manifest(c_, "tagq/app", img.digest + "?tag=v1&tag=latest&tag=v1", img.manifest,
                        kOciManifestType);
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("docker-content-digest"), img.digest);
  EXPECT_EQ(all(r, "oci-tag"), (std::vector<std::string>{"v1", "latest"}));
  EXPECT_EQ(tags("tagq/app"), (std::vector<std::string>{"latest", "v1"}));
  for (const char* tag : {"v1", "latest"}) {
    auto got = c_.request("GET", std::string("/v2/tagq/app/manifests/") + tag);
    EXPECT_EQ(got.status, 200u);
    EXPECT_EQ(got.header("docker-content-digest"), img.digest);
  }
}

TEST_F(OciSpecAdditions, PutWithoutTagQueryAnswersNoOciTag) {
  Image img = push_image_blobs(c_, "tagq/none", 2);
  auto r = put_manifest(c_, "tagq/none", img.digest, img.manifest, kOciManifestType);
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_TRUE(all(r, "oci-tag").empty());
  EXPECT_TRUE(tags("tagq/none").empty());
}

TEST_F(OciSpecAdditions, AMalformedQueriedTagStoresNothing) {
  Image img = push_image_blobs(c_, "tagq/bad", 3);
  auto r =
      put_manifest(c_, "tagq/bad", img.digest + "?tag=ok&tag=-bad", img.manifest, kOciManifestType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "TAG_INVALID");
  EXPECT_EQ(c_.request("GET", "/v2/tagq/bad/manifests/" + img.digest).status, 404u);
  EXPECT_EQ(c_.request("GET", "/v2/tagq/bad/manifests/ok").status, 404u);
}

TEST_F(OciSpecAdditions, UploadWithSha512Algorithm) {
  const std::string data = blob_bytes(300'000, 7);
  const std::string digest = content::digest_of(data, content::Algorithm::sha512).str();
  auto post = c_.request("POST", "/v2/algo/blobs/uploads/?digest-algorithm=sha512");
  ASSERT_EQ(post.status, 202u) << post.body;
  const std::string location = post.header("location");
  auto patch =
      c_.request("PATCH", location, data.substr(0, 100'000), {{"Content-Range", "0-99999"}});
  ASSERT_EQ(patch.status, 202u) << patch.body;
  auto put = c_.request("PUT", location + "?digest=" + digest, data.substr(100'000));
  ASSERT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(put.header("docker-content-digest"), digest);
  auto got = c_.request("GET", "/v2/algo/blobs/" + digest);
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.body == data, true);

  // Monolithic, with both parameters.
  const std::string small = "sha512 in one request";
  const std::string small_digest = content::digest_of(small, content::Algorithm::sha512).str();
  auto one = c_.request(
      "POST", "/v2/algo/blobs/uploads/?digest-algorithm=sha512&digest=" + small_digest, small);
  EXPECT_EQ(one.status, 201u) << one.body;
}

TEST_F(OciSpecAdditions, UnsupportedOrContradictoryAlgorithmIsRefused) {
  auto r = c_.request("POST", "/v2/algo/blobs/uploads/?digest-algorithm=md5");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");
  auto both = c_.request(
      "POST", "/v2/algo/blobs/uploads/?digest-algorithm=sha512&digest=" + digest_of("x"), "x");
  EXPECT_EQ(both.status, 400u);
  EXPECT_EQ(error_code(both), "DIGEST_INVALID");
  auto ok = c_.request("POST", "/v2/algo/blobs/uploads/?digest-algorithm=sha256");
  EXPECT_EQ(ok.status, 202u);
}

}  // namespace
}  // namespace cairn::testing
