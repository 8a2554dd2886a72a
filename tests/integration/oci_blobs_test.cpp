// OCI blobs, uploads and mounts against the real server: every success and failure path with
// the headers the distribution-spec asks for.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

namespace cairn::testing {
namespace {

class OciBlobs : public ::testing::Test {
 protected:
  TestServer srv_;
  HttpClient c_{srv_.port()};

  // Starts an upload in `name` and returns its Location.
  std::string start(const std::string& name) {
    auto r = c_.request("POST", "/v2/" + name + "/blobs/uploads/");
    EXPECT_EQ(r.status, 202u) << r.body;
    return r.header("location");
  }
};

TEST_F(OciBlobs, GetAndHeadCarryLengthDigestAndAcceptRanges) {
  std::string data = blob_bytes(5000);
  std::string digest = push_blob(c_, "lib/app", data);

  auto g = c_.request("GET", "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(g.status, 200u);
  EXPECT_EQ(g.body, data);
  EXPECT_EQ(g.header("content-length"), "5000");
  EXPECT_EQ(g.header("docker-content-digest"), digest);
  EXPECT_EQ(g.header("accept-ranges"), "bytes");
  EXPECT_FALSE(g.header("content-type").empty());

  auto h = c_.request("HEAD", "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(h.status, 200u);
  EXPECT_TRUE(h.body.empty());
  EXPECT_EQ(h.header("content-length"), "5000");
  EXPECT_EQ(h.header("docker-content-digest"), digest);
  EXPECT_EQ(h.header("accept-ranges"), "bytes");
}

TEST_F(OciBlobs, UnknownBlobIs404BlobUnknown) {
  std::string missing = digest_of("never pushed");
  auto g = c_.request("GET", "/v2/lib/app/blobs/" + missing);
  EXPECT_EQ(g.status, 404u);
  EXPECT_EQ(error_code(g), "BLOB_UNKNOWN");
  EXPECT_EQ(g.header("content-type"), "application/json");
  auto h = c_.request("HEAD", "/v2/lib/app/blobs/" + missing);
  EXPECT_EQ(h.status, 404u);
  EXPECT_TRUE(h.body.empty());
}

TEST_F(OciBlobs, BlobIsVisibleOnlyInItsRepository) {
  std::string digest = push_blob(c_, "one", "only in one");
  EXPECT_EQ(c_.request("GET", "/v2/one/blobs/" + digest).status, 200u);
  auto other = c_.request("GET", "/v2/two/blobs/" + digest);
  EXPECT_EQ(other.status, 404u);
  EXPECT_EQ(error_code(other), "BLOB_UNKNOWN");
}

TEST_F(OciBlobs, DeleteIs202ThenBlobUnknown) {
  std::string digest = push_blob(c_, "lib/app", "to be deleted");
  auto d = c_.request("DELETE", "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(d.status, 202u);
  auto g = c_.request("GET", "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(g.status, 404u);
  EXPECT_EQ(error_code(g), "BLOB_UNKNOWN");
  auto again = c_.request("DELETE", "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(error_code(again), "BLOB_UNKNOWN");
}

TEST_F(OciBlobs, PostStartsAnUploadSession) {
  auto r = c_.request("POST", "/v2/lib/app/blobs/uploads/");
  EXPECT_EQ(r.status, 202u);
  std::string location = r.header("location");
  std::string uuid = r.header("docker-upload-uuid");
  EXPECT_FALSE(uuid.empty());
  EXPECT_EQ(location, "/v2/lib/app/blobs/uploads/" + uuid);
  EXPECT_EQ(r.header("range"), "0-0");
  EXPECT_EQ(r.header("content-length"), "0");

  auto s = c_.request("GET", location);
  EXPECT_EQ(s.status, 204u);
  EXPECT_EQ(s.header("location"), location);
  EXPECT_EQ(s.header("range"), "0-0");
  EXPECT_EQ(s.header("docker-upload-uuid"), uuid);
}

TEST_F(OciBlobs, PostWithDigestIsMonolithic201) {
  std::string data = blob_bytes(70'000, 7);
  std::string digest = digest_of(data);
  auto r = c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + digest, data,
                      {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("location"), "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  EXPECT_EQ(c_.request("GET", r.header("location")).body, data);

  // The same bytes again: still 201, one blob.
  auto again = c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + digest, data);
  EXPECT_EQ(again.status, 201u);
  EXPECT_EQ(again.header("docker-content-digest"), digest);
}

TEST_F(OciBlobs, PostWithWrongDigestIsDigestInvalidAndCommitsNothing) {
  std::string data = "these are not the bytes you named";
  std::string wrong = digest_of("something else");
  auto r = c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + wrong, data);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");
  EXPECT_EQ(c_.request("HEAD", "/v2/lib/app/blobs/" + wrong).status, 404u);
  EXPECT_EQ(c_.request("HEAD", "/v2/lib/app/blobs/" + digest_of(data)).status, 404u);
}

TEST_F(OciBlobs, ChunkedUploadWithRangesStatusAndFinalChunk) {
  std::string data = blob_bytes(1000, 3);
  std::string digest = digest_of(data);
  std::string location = start("lib/app");
  std::string uuid = location.substr(location.rfind('/') + 1);

  auto p1 = c_.request("PATCH", location, data.substr(0, 300),
                       {{"Content-Range", "0-299"}, {"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(p1.status, 202u) << p1.body;
  EXPECT_EQ(p1.header("range"), "0-299");
  EXPECT_EQ(p1.header("location"), location);
  EXPECT_EQ(p1.header("docker-upload-uuid"), uuid);
  EXPECT_EQ(p1.header("content-length"), "0");

  // A chunk that does not start at the upload's offset: 416, and where the upload stands.
  auto gap = c_.request("PATCH", location, data.substr(400, 100), {{"Content-Range", "400-499"}});
  EXPECT_EQ(gap.status, 416u);
  EXPECT_EQ(error_code(gap), "RANGE_INVALID");
  EXPECT_EQ(gap.header("range"), "0-299");
  EXPECT_EQ(gap.header("location"), location);
  auto replay = c_.request("PATCH", location, data.substr(0, 100), {{"Content-Range", "0-99"}});
  EXPECT_EQ(replay.status, 416u);

  auto p2 = c_.request("PATCH", location, data.substr(300, 300), {{"Content-Range", "300-599"}});
  EXPECT_EQ(p2.status, 202u);
  EXPECT_EQ(p2.header("range"), "0-599");

  // Without Content-Range a PATCH appends (a streamed upload).
  auto p3 = c_.request("PATCH", location, data.substr(600, 300));
  EXPECT_EQ(p3.status, 202u);
  EXPECT_EQ(p3.header("range"), "0-899");

  auto s = c_.request("GET", location);
  EXPECT_EQ(s.status, 204u);
  EXPECT_EQ(s.header("range"), "0-899");
  EXPECT_EQ(s.header("location"), location);
  EXPECT_EQ(s.header("docker-upload-uuid"), uuid);

  auto put = c_.request("PUT", location + "?digest=" + digest, data.substr(900),
                        {{"Content-Range", "900-999"}});
  EXPECT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(put.header("location"), "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(put.header("docker-content-digest"), digest);
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/blobs/" + digest).body, data);

  // The session is over.
  auto after = c_.request("GET", location);
  EXPECT_EQ(after.status, 404u);
  EXPECT_EQ(error_code(after), "BLOB_UPLOAD_UNKNOWN");
}

TEST_F(OciBlobs, PutWithoutFinalChunkCommits) {
  std::string data = blob_bytes(4096, 4);
  std::string digest = digest_of(data);
  std::string location = start("lib/app");
  EXPECT_EQ(c_.request("PATCH", location, data).status, 202u);
  auto put = c_.request("PUT", location + "?digest=" + digest);
  EXPECT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(put.header("location"), "/v2/lib/app/blobs/" + digest);
  EXPECT_EQ(put.header("docker-content-digest"), digest);
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/blobs/" + digest).body, data);
}

TEST_F(OciBlobs, PutOfWholeBodyOnFreshSessionCommits) {
  std::string data = blob_bytes(2048, 5);
  std::string digest = digest_of(data);
  std::string location = start("lib/app");
  auto put = c_.request("PUT", location + "?digest=" + digest, data);
  EXPECT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/blobs/" + digest).body, data);
}

TEST_F(OciBlobs, PutWithWrongOrMissingDigestKeepsTheUpload) {
  std::string data = blob_bytes(512, 6);
  std::string location = start("lib/app");
  EXPECT_EQ(c_.request("PATCH", location, data).status, 202u);

  auto wrong = c_.request("PUT", location + "?digest=" + digest_of("other"));
  EXPECT_EQ(wrong.status, 400u);
  EXPECT_EQ(error_code(wrong), "DIGEST_INVALID");
  auto none = c_.request("PUT", location);
  EXPECT_EQ(none.status, 400u);
  EXPECT_EQ(error_code(none), "DIGEST_INVALID");
  auto malformed = c_.request("PUT", location + "?digest=sha256:abc");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(error_code(malformed), "DIGEST_INVALID");
  EXPECT_EQ(c_.request("HEAD", "/v2/lib/app/blobs/" + digest_of("other")).status, 404u);

  // Nothing was lost: the right digest still commits.
  auto s = c_.request("GET", location);
  EXPECT_EQ(s.status, 204u);
  EXPECT_EQ(s.header("range"), "0-511");
  auto put = c_.request("PUT", location + "?digest=" + digest_of(data));
  EXPECT_EQ(put.status, 201u) << put.body;
}

TEST_F(OciBlobs, DeleteUploadIs204ThenUploadUnknown) {
  std::string location = start("lib/app");
  EXPECT_EQ(c_.request("PATCH", location, "some bytes").status, 202u);
  auto d = c_.request("DELETE", location);
  EXPECT_EQ(d.status, 204u);
  for (const char* method : {"GET", "PATCH", "PUT", "DELETE"}) {
    std::string target = location;
    if (std::string_view(method) == "PUT")
      target += "?digest=" + digest_of("some bytes");
    auto r = c_.request(method, target, std::string_view(method) == "PATCH" ? "more" : "");
    EXPECT_EQ(r.status, 404u) << method;
    EXPECT_EQ(error_code(r), "BLOB_UPLOAD_UNKNOWN") << method;
  }
}

TEST_F(OciBlobs, UnknownUploadIdIsUploadUnknown) {
  const std::string location = "/v2/lib/app/blobs/uploads/0b6c41f6-3f6c-4c2e-9d0c-7d4b2d1f0aaa";
  for (const char* method : {"GET", "PATCH", "PUT", "DELETE"}) {
    std::string target = location;
    if (std::string_view(method) == "PUT")
      target += "?digest=" + digest_of("x");
    auto r = c_.request(method, target, std::string_view(method) == "PATCH" ? "x" : "");
    EXPECT_EQ(r.status, 404u) << method;
    EXPECT_EQ(error_code(r), "BLOB_UPLOAD_UNKNOWN") << method;
  }
}

TEST_F(OciBlobs, UploadIsNotReachableFromAnotherRepository) {
  std::string location = start("one");
  std::string uuid = location.substr(location.rfind('/') + 1);
  auto r = c_.request("PATCH", "/v2/two/blobs/uploads/" + uuid, "bytes");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(error_code(r), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(c_.request("GET", "/v2/two/blobs/uploads/" + uuid).status, 404u);
  EXPECT_EQ(c_.request("PUT", "/v2/two/blobs/uploads/" + uuid + "?digest=" + digest_of("")).status,
            404u);
  auto del = c_.request("DELETE", "/v2/two/blobs/uploads/" + uuid);
  EXPECT_EQ(del.status, 404u);
  EXPECT_EQ(error_code(del), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(c_.request("GET", location).status, 204u);
}

TEST_F(OciBlobs, MountFromARepositoryThatHoldsTheBlobIs201) {
  std::string data = blob_bytes(3000, 8);
  std::string digest = push_blob(c_, "source/repo", data);
  auto r =
      c_.request("POST", "/v2/target/repo/blobs/uploads/?mount=" + digest + "&from=source/repo");
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("location"), "/v2/target/repo/blobs/" + digest);
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  EXPECT_EQ(c_.request("GET", "/v2/target/repo/blobs/" + digest).body, data);
}

TEST_F(OciBlobs, MountOfUnknownContentFallsBackToAnUpload) {
  std::string digest = digest_of("nobody has this");
  auto r = c_.request("POST", "/v2/target/blobs/uploads/?mount=" + digest + "&from=source");
  EXPECT_EQ(r.status, 202u) << r.body;
  std::string location = r.header("location");
  EXPECT_TRUE(location.starts_with("/v2/target/blobs/uploads/")) << location;
  EXPECT_FALSE(r.header("docker-upload-uuid").empty());
  // The session works: push the bytes through it.
  auto put = c_.request("PUT", location + "?digest=" + digest, "nobody has this");
  EXPECT_EQ(put.status, 201u) << put.body;
}

TEST_F(OciBlobs, MountWithoutFromUnderSharedPolicyIs201) {
  std::string data = blob_bytes(100, 9);
  std::string digest = push_blob(c_, "elsewhere", data);
  auto r = c_.request("POST", "/v2/target/blobs/uploads/?mount=" + digest);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  EXPECT_EQ(c_.request("GET", "/v2/target/blobs/" + digest).body, data);
}

TEST_F(OciBlobs, MountWithInvalidFromIsNameInvalid) {
  std::string digest = push_blob(c_, "src", "x");
  auto r = c_.request("POST", "/v2/target/blobs/uploads/?mount=" + digest + "&from=../src");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "NAME_INVALID");
  auto bad = c_.request("POST", "/v2/target/blobs/uploads/?mount=sha256:nothex&from=src");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(error_code(bad), "DIGEST_INVALID");
}

// Under the isolated policy a blob is mounted only from a repository that can read it.
class OciBlobsIsolated : public ::testing::Test {
 protected:
  static handlers::ServiceOptions isolated() {
    handlers::ServiceOptions o;
    o.storage.sharing = metadata::SharingPolicy::isolated;
    return o;
  }
  TestServer srv_{server::ServerOptions{}, isolated()};
  HttpClient c_{srv_.port()};
};

TEST_F(OciBlobsIsolated, MountFromReadableRepositoryIs201) {
  std::string digest = push_blob(c_, "src", "isolated bytes");
  auto r = c_.request("POST", "/v2/dst/blobs/uploads/?mount=" + digest + "&from=src");
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(c_.request("GET", "/v2/dst/blobs/" + digest).body, "isolated bytes");
}

TEST_F(OciBlobsIsolated, MountFromARepositoryWithoutTheBlobIs202) {
  std::string digest = push_blob(c_, "src", "isolated bytes");
  auto r = c_.request("POST", "/v2/dst/blobs/uploads/?mount=" + digest + "&from=empty");
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_TRUE(r.header("location").starts_with("/v2/dst/blobs/uploads/"));
  EXPECT_EQ(c_.request("GET", "/v2/dst/blobs/" + digest).status, 404u);
}

TEST_F(OciBlobsIsolated, MountWithoutFromIs202) {
  std::string digest = push_blob(c_, "src", "isolated bytes");
  auto r = c_.request("POST", "/v2/dst/blobs/uploads/?mount=" + digest);
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(c_.request("GET", "/v2/dst/blobs/" + digest).status, 404u);
}

TEST_F(OciBlobsIsolated, MonolithicPushOfKnownBytesStillNeedsTheBytes) {
  std::string data = blob_bytes(800, 10);
  std::string digest = push_blob(c_, "src", data);
  // Isolated: the digest alone proves nothing, the bytes are read and verified.
  auto wrong = c_.request("POST", "/v2/dst/blobs/uploads/?digest=" + digest, blob_bytes(800, 11));
  EXPECT_EQ(wrong.status, 400u);
  EXPECT_EQ(error_code(wrong), "DIGEST_INVALID");
  EXPECT_EQ(c_.request("HEAD", "/v2/dst/blobs/" + digest).status, 404u);
  push_blob(c_, "dst", data);
  EXPECT_EQ(c_.request("GET", "/v2/dst/blobs/" + digest).body, data);
}

}  // namespace
}  // namespace cairn::testing
