// Issue 9's probe findings on the request layer above the socket, and the limits on what a client
// may make the server hold or read: each case failed (or answered wrongly) before its fix.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

class OciLimits : public ::testing::Test {
 protected:
  TestServer server_;
  HttpClient c_{server_.port()};
};

// Values that do not percent-decode used to be dropped: ?digest=%00 opened a session (202),
// last=%00 listed from the start, from=%00 was ignored on a mount.
TEST_F(OciLimits, UndecodableQueryValuesAreRefused) {
  auto r = c_.request("POST", "/v2/q/a/blobs/uploads/?digest=%00", "x");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");
  std::string d = push_blob(c_, "q/a", "bytes");
  r = c_.request("POST", "/v2/q/b/blobs/uploads/?mount=" + d + "&from=%00");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "NAME_INVALID");
  r = c_.request("GET", "/v2/_catalog?last=%00");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "NAME_INVALID");
  Image img = push_image_blobs(c_, "q/a", 1);
  ASSERT_EQ(put_manifest(c_, "q/a", "v1", img.manifest, kOciManifestType).status, 201u);
  r = c_.request("GET", "/v2/q/a/tags/list?last=%00");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "TAG_INVALID");  // it said NAME_INVALID "invalid tag"
  r = c_.request("GET", "/v2/q/a/tags/list?last=-bad");
  EXPECT_EQ(error_code(r), "TAG_INVALID");
}

// Range positions past 2^64-1 were refused as malformed, so the whole body was served.
TEST_F(OciLimits, HugeRangePositionsSaturate) {
  std::string data = blob_bytes(1000);
  std::string d = push_blob(c_, "r/a", data);
  auto r = c_.request("GET", "/v2/r/a/blobs/" + d, {}, {{"Range", "bytes=0-18446744073709551615"}});
  EXPECT_EQ(r.status, 206u);
  EXPECT_EQ(r.header("content-range"), "bytes 0-999/1000");
  EXPECT_EQ(r.body, data);
  r = c_.request("GET", "/v2/r/a/blobs/" + d, {}, {{"Range", "bytes=18446744073709551615-"}});
  EXPECT_EQ(r.status, 416u);
  EXPECT_EQ(r.header("content-range"), "bytes */1000");
}

// A manifest whose descriptor sizes disagree with the stored blobs was accepted.
TEST_F(OciLimits, DescriptorSizesMustMatchTheBlobs) {
  Image img = push_image_blobs(c_, "s/a", 2);
  Desc config = img.config;
  config.size += 100;
  auto wrong = image_manifest(kOciManifestType, config, {img.layer});
  auto r = put_manifest(c_, "s/a", "v1", wrong, kOciManifestType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "MANIFEST_INVALID");
  EXPECT_NE(r.body.find("has " + std::to_string(img.config.size) + " bytes"), std::string::npos)
      << r.body;
  Desc layer = img.layer;
  layer.size -= 1;
  r = put_manifest(c_, "s/a", "v1", image_manifest(kOciManifestType, img.config, {layer}),
                   kOciManifestType);
  EXPECT_EQ(error_code(r), "MANIFEST_INVALID");
  ASSERT_EQ(put_manifest(c_, "s/a", "v1", img.manifest, kOciManifestType).status, 201u);
  // An index entry's size is checked against the manifest's.
  Desc entry{std::string(kOciManifestType), img.digest, img.manifest.size() + 1, {}};
  r = put_manifest(c_, "s/a", "list", index_manifest(kOciIndexType, {entry}), kOciIndexType);
  EXPECT_EQ(error_code(r), "MANIFEST_INVALID");
  entry.size = img.manifest.size();
  r = put_manifest(c_, "s/a", "list", index_manifest(kOciIndexType, {entry}), kOciIndexType);
  EXPECT_EQ(r.status, 201u) << r.body;
  r = c_.request("GET", "/v2/s/a/tags/list");
  EXPECT_EQ(r.body, R"({"name":"s/a","tags":["list","v1"]})");
}

// 4 MiB of '[' was parsed to 2 million levels (160 MB of memory per request).
TEST_F(OciLimits, DeeplyNestedJsonIsRefusedBeforeParsing) {
  std::string deep(4u << 20, '[');
  auto r = put_manifest(c_, "n/a", "v1", deep, kOciManifestType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "MANIFEST_INVALID");
  r = c_.request("POST", "/v2/n/a/_leases", std::string(100'000, '{'));
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "BODY_INVALID");
}

// A NUL inside a label key was stored.
TEST_F(OciLimits, LabelKeysWithControlCharactersAreRefused) {
  std::string d = push_blob(c_, "l/a", "labelled");
  auto r = c_.request("PATCH", "/v2/l/a/_content/blobs/" + d, R"({"labels":{"a\u0000b":"v"}})");
  EXPECT_EQ(r.status, 400u) << r.body;
  r = c_.request("PATCH", "/v2/l/a/_labels", R"({"labels":{"a\nb":"v"}})");
  EXPECT_EQ(r.status, 400u) << r.body;
  nlohmann::json many = {{"labels", nlohmann::json::object()}};
  for (int i = 0; i < 20; ++i)
    many["labels"]["k" + std::to_string(i)] = std::string(4000, 'v');
  r = c_.request("PATCH", "/v2/l/a/_content/blobs/" + d, many.dump());
  EXPECT_EQ(r.status, 400u) << r.body;
  r = c_.request("GET", "/v2/l/a/_content/blobs/" + d);
  EXPECT_EQ(nlohmann::json::parse(r.body)["labels"], nlohmann::json::object());
}

// A bare or failed upload POST made the repository appear in _catalog; a failed one-shot POST
// left a 24 h ingest behind that nobody could resume.
TEST_F(OciLimits, FailedOrBareUploadsLeaveNoRepositoryAndNoIngest) {
  auto r = c_.request("POST", "/v2/ghost/bare/blobs/uploads/");
  EXPECT_EQ(r.status, 202u);
  r = c_.request("POST", "/v2/ghost/failed/blobs/uploads/?digest=" + digest_of("other"), "bytes");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");
  r = c_.request("GET", "/v2/ghost/failed/_content/ingests");
  EXPECT_EQ(r.body, R"({"ingests":[]})");
  r = c_.request("GET", "/v2/_catalog");
  EXPECT_EQ(r.body, R"({"repositories":[]})");
  push_blob(c_, "ghost/bare", "now it holds content");
  r = c_.request("GET", "/v2/_catalog");
  EXPECT_EQ(r.body, R"({"repositories":["ghost/bare"]})");
}

// Reads of a reference that cannot exist are unknown, not invalid; only a PUT is TAG_INVALID.
TEST_F(OciLimits, InvalidTagIsUnknownOnReadsAndInvalidOnPut) {
  std::string bad = "-not-a-tag";
  for (const char* method : {"GET", "HEAD", "DELETE"}) {
    auto r = c_.request(method, "/v2/t/a/manifests/" + bad);
    EXPECT_EQ(r.status, 404u) << method;
    if (std::string(method) != "HEAD")
      EXPECT_EQ(error_code(r), "MANIFEST_UNKNOWN") << method;
  }
  Image img = push_image_blobs(c_, "t/a", 3);
  auto r = put_manifest(c_, "t/a", bad, img.manifest, kOciManifestType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "TAG_INVALID");
}

// A filter with a pattern that backtracks exponentially under std::regex ran for ever.
TEST_F(OciLimits, CatastrophicFilterAnswersAtOnce) {
  std::string d = push_blob(c_, "f/a", "filtered");
  auto r = c_.request("PATCH", "/v2/f/a/_content/blobs/" + d,
                      R"({"labels":{"x":")" + std::string(40, 'a') + R"(!"}})");
  ASSERT_EQ(r.status, 200u) << r.body;
  r = c_.request("GET", "/v2/f/a/_content/blobs?filter=labels.x~%3D%22(a%2B)%2B%24%22");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"blobs":[]})");
}

// Listings are bounded: no n, or a larger one, gives the server's page size with a Link.
TEST(OciPaging, PagesAreClampedAndNMustBeANumber) {
  handlers::ServiceOptions service;
  service.api.max_page = 3;
  TestServer server({}, service);
  HttpClient c(server.port());
  Image img = push_image_blobs(c, "p/a", 4);
  for (const char* tag : {"a", "b", "c", "d", "e"})
    ASSERT_EQ(put_manifest(c, "p/a", tag, img.manifest, kOciManifestType).status, 201u);
  for (const char* query : {"", "?n=100", "?n=99999999999999999999999"}) {
    auto r = c.request("GET", std::string("/v2/p/a/tags/list") + query);
    EXPECT_EQ(r.body, R"({"name":"p/a","tags":["a","b","c"]})") << query;
    EXPECT_EQ(r.header("link"), R"(</v2/p/a/tags/list?n=3&last=c>; rel="next")") << query;
  }
  auto r = c.request("GET", "/v2/p/a/tags/list?n=3&last=c");
  EXPECT_EQ(r.body, R"({"name":"p/a","tags":["d","e"]})");
  EXPECT_EQ(r.header("link"), "");
  for (const char* bad : {"-1", "abc", "", "1e3", "+2"}) {
    r = c.request("GET", std::string("/v2/p/a/tags/list?n=") + bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(error_code(r), "PAGINATION_NUMBER_INVALID") << bad;
  }
  // _content lists page the same way.
  for (int i = 0; i < 4; ++i)
    c.request("POST", "/v2/p/a/blobs/uploads/");
  r = c.request("GET", "/v2/p/a/_content/ingests");
  EXPECT_EQ(nlohmann::json::parse(r.body)["ingests"].size(), 3u);
  EXPECT_NE(r.header("link"), "");
  r = c.request("GET", "/v2/p/a/_content/blobs?n=1000");
  EXPECT_EQ(nlohmann::json::parse(r.body)["blobs"].size(), 3u);  // config, layer, manifest
}

// 10,000 POSTs made 10,000 ingests: sessions are bounded per repository and in all.
TEST(OciUploadLimits, SessionsAreBoundedPerRepositoryAndInAll) {
  ManualClock clock;
  handlers::ServiceOptions service;
  service.storage.clock = &clock;
  service.api.max_uploads_per_repository = 3;
  service.api.max_uploads = 5;
  TestServer server({}, service);
  HttpClient c(server.port());
  std::vector<std::string> locations;
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("POST", "/v2/u/a/blobs/uploads/");
    ASSERT_EQ(r.status, 202u);
    locations.push_back(r.header("location"));
  }
  auto r = c.request("POST", "/v2/u/a/blobs/uploads/");
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(error_code(r), "TOOMANYREQUESTS");
  EXPECT_EQ(r.header("retry-after"), "1");
  // A one-shot push of new bytes opens a session too; of known bytes, none.
  std::string known = "known bytes";
  r = c.request("POST", "/v2/u/b/blobs/uploads/?digest=" + digest_of(known), known);
  EXPECT_EQ(r.status, 201u);
  r = c.request("POST", "/v2/u/a/blobs/uploads/?digest=" + digest_of(known), known);
  EXPECT_EQ(r.status, 201u) << r.body;
  r = c.request("POST", "/v2/u/b/blobs/uploads/");
  EXPECT_EQ(r.status, 202u);
  // Five are counted in all (u/b's one-shot push counted once and committed): recounted, 4
  // are open, so one more fits, then none.
  clock.advance(std::chrono::seconds(2));
  r = c.request("POST", "/v2/u/c/blobs/uploads/");
  EXPECT_EQ(r.status, 202u) << r.body;
  r = c.request("POST", "/v2/u/c/blobs/uploads/");
  EXPECT_EQ(r.status, 429u);
  EXPECT_NE(r.body.find("the server has 5 uploads in progress"), std::string::npos) << r.body;
  // Finishing one makes room (after the next recount).
  EXPECT_EQ(c.request("DELETE", locations[0]).status, 204u);
  clock.advance(std::chrono::seconds(2));
  r = c.request("POST", "/v2/u/c/blobs/uploads/");
  EXPECT_EQ(r.status, 202u) << r.body;
}

}  // namespace
}  // namespace cairn::testing
