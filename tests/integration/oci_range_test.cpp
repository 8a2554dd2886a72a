// Range reads of blobs and manifests at every edge (RFC 9110 byte ranges): first and last byte,
// open-ended and suffix ranges, unsatisfiable ranges (416 with Content-Range: bytes */size),
// several ranges and malformed headers (the whole content, 200), and the empty blob.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

namespace cairn::testing {
namespace {

constexpr size_t kSize = 1000;

struct RangeCase {
  const char* label;
  std::string range;  // the Range header; empty: none
  size_t size;        // of the blob
  unsigned status;
  size_t first = 0;  // for 206: the bytes expected
  size_t last = 0;
};

class OciRange : public ::testing::TestWithParam<RangeCase> {
 protected:
  static void SetUpTestSuite() {
    srv_ = new TestServer();
    HttpClient c(srv_->port());
    push_blob(c, "lib/range", blob_bytes(kSize, 99));
    push_blob(c, "lib/range", "");
  }
  static void TearDownTestSuite() {
    delete srv_;
    srv_ = nullptr;
  }
  static TestServer* srv_;
};

TestServer* OciRange::srv_ = nullptr;

TEST_P(OciRange, BlobGet) {
  const RangeCase& tc = GetParam();
  HttpClient c(srv_->port());
  const std::string data = tc.size == 0 ? std::string() : blob_bytes(kSize, 99);
  const std::string digest = digest_of(data);
  std::vector<std::pair<std::string, std::string>> headers;
  if (!tc.range.empty())
    headers.emplace_back("Range", tc.range);
  auto r = c.request("GET", "/v2/lib/range/blobs/" + digest, {}, headers);
  ASSERT_EQ(r.status, tc.status) << tc.range << " " << r.body;
  const std::string size = std::to_string(tc.size);
  switch (tc.status) {
    case 200:
      EXPECT_EQ(r.body, data);
      EXPECT_EQ(r.header("content-length"), size);
      EXPECT_TRUE(r.header("content-range").empty());
      EXPECT_EQ(r.header("docker-content-digest"), digest);
      EXPECT_EQ(r.header("accept-ranges"), "bytes");
      break;
    case 206:
      EXPECT_EQ(r.body, data.substr(tc.first, tc.last - tc.first + 1));
      EXPECT_EQ(r.header("content-length"), std::to_string(tc.last - tc.first + 1));
      EXPECT_EQ(r.header("content-range"),
                "bytes " + std::to_string(tc.first) + "-" + std::to_string(tc.last) + "/" + size);
      EXPECT_EQ(r.header("docker-content-digest"), digest);
      break;
    case 416:
      EXPECT_EQ(r.header("content-range"), "bytes */" + size);
      EXPECT_EQ(error_code(r), "RANGE_INVALID");
      break;
    default:
      FAIL() << "unexpected status in the case table";
  }
  // The connection is still good after any answer.
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
}

INSTANTIATE_TEST_SUITE_P(
    All, OciRange,
    ::testing::Values(
        RangeCase{"NoRange", "", kSize, 200}, RangeCase{"FirstByte", "bytes=0-0", kSize, 206, 0, 0},
        RangeCase{"LastByte", "bytes=999-999", kSize, 206, 999, 999},
        RangeCase{"Middle", "bytes=100-199", kSize, 206, 100, 199},
        RangeCase{"Whole", "bytes=0-999", kSize, 206, 0, 999},
        RangeCase{"EndBeyondSizeIsClamped", "bytes=990-5000", kSize, 206, 990, 999},
        RangeCase{"OpenEnded", "bytes=500-", kSize, 206, 500, 999},
        RangeCase{"OpenEndedLastByte", "bytes=999-", kSize, 206, 999, 999},
        RangeCase{"Suffix", "bytes=-10", kSize, 206, 990, 999},
        RangeCase{"SuffixOne", "bytes=-1", kSize, 206, 999, 999},
        RangeCase{"SuffixLongerThanBlob", "bytes=-5000", kSize, 206, 0, 999},
        RangeCase{"SpacesAroundSpec", "bytes= 1-2 ", kSize, 206, 1, 2},
        RangeCase{"SuffixZero", "bytes=-0", kSize, 416},
        RangeCase{"StartAtSize", "bytes=1000-", kSize, 416},
        RangeCase{"StartBeyondSize", "bytes=5000-6000", kSize, 416},
        RangeCase{"MultiRange", "bytes=0-1,5-6", kSize, 200},
        RangeCase{"MultiRangeUnsatisfiable", "bytes=5000-,6000-", kSize, 200},
        RangeCase{"OtherUnit", "items=0-1", kSize, 200}, RangeCase{"NoDash", "bytes=5", kSize, 200},
        RangeCase{"Reversed", "bytes=9-5", kSize, 200},
        RangeCase{"NotNumbers", "bytes=a-b", kSize, 200},
        RangeCase{"Negative", "bytes=-5-10", kSize, 200},
        // Positions past 2^64-1 saturate (they were refused and the whole blob served).
        RangeCase{"Huge", "bytes=0-99999999999999999999999", kSize, 206, 0, 999},
        RangeCase{"HugeStart", "bytes=18446744073709551615-", kSize, 416},
        RangeCase{"Empty", "bytes=", kSize, 200}, RangeCase{"EmptyBlobNoRange", "", 0, 200},
        RangeCase{"EmptyBlobFirstByte", "bytes=0-0", 0, 416},
        RangeCase{"EmptyBlobOpenEnded", "bytes=0-", 0, 416},
        RangeCase{"EmptyBlobSuffix", "bytes=-1", 0, 416},
        RangeCase{"EmptyBlobMalformed", "bytes=x", 0, 200}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(OciRangeHead, HeadIgnoresRangeAndAnnouncesTheSize) {
  TestServer srv;
  HttpClient c(srv.port());
  std::string digest = push_blob(c, "lib/range", blob_bytes(kSize, 98));
  auto h = c.request("HEAD", "/v2/lib/range/blobs/" + digest, {}, {{"Range", "bytes=0-9"}});
  EXPECT_TRUE(h.status == 200u || h.status == 206u) << h.status;
  EXPECT_TRUE(h.body.empty());
  EXPECT_EQ(h.header("docker-content-digest"), digest);
}

TEST(OciRangeManifest, ManifestsServeRangesToo) {
  TestServer srv;
  HttpClient c(srv.port());
  Image img = push_image_blobs(c, "lib/range", 97);
  ASSERT_EQ(put_manifest(c, "lib/range", "latest", img.manifest, kOciManifestType).status, 201u);
  auto r = c.request("GET", "/v2/lib/range/manifests/latest", {}, {{"Range", "bytes=0-9"}});
  EXPECT_EQ(r.status, 206u);
  EXPECT_EQ(r.body, img.manifest.substr(0, 10));
  EXPECT_EQ(r.header("content-type"), kOciManifestType);
  EXPECT_EQ(r.header("content-range"), "bytes 0-9/" + std::to_string(img.manifest.size()));
}

}  // namespace
}  // namespace cairn::testing
