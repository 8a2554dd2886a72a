// Uploads that do not go straight: chunks refused with 416 and resumed from the status, an upload
// resumed after the server restarted on the same root, the same blob pushed to two repositories
// at once, and clients that go away in the middle of a body.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

namespace cairn::testing {
namespace {

// The end offset (exclusive) a `Range: 0-<last>` header reports.
size_t range_end(const HttpResult& r) {
  std::string range = r.header("range");
  EXPECT_TRUE(range.starts_with("0-")) << range;
  size_t last = std::stoull(range.substr(2));
  return last == 0 ? 0 : last + 1;  // "0-0" is the empty upload's answer
}

TEST(OciUpload, ChunksRefusedWith416ResumeFromTheStatus) {
  TestServer srv;
  HttpClient c(srv.port());
  const std::string data = blob_bytes(64 * 1024 + 17, 50);
  const size_t chunk = 10'000;
  auto post = c.request("POST", "/v2/lib/chunky/blobs/uploads/");
  ASSERT_EQ(post.status, 202u);
  const std::string location = post.header("location");

  // The client sends each chunk twice, as one that did not see the first answer would: the
  // replay is refused with 416 and the status tells it where to go on.
  size_t offset = 0;
  int refused = 0;
  while (offset < data.size()) {
    size_t end = std::min(offset + chunk, data.size());
    auto p = c.request("PATCH", location, data.substr(offset, end - offset),
                       {{"Content-Range", content_range(offset, end)}});
    ASSERT_EQ(p.status, 202u) << p.body;
    ASSERT_EQ(range_end(p), end);
    auto replay = c.request("PATCH", location, data.substr(offset, end - offset),
                            {{"Content-Range", content_range(offset, end)}});
    ASSERT_EQ(replay.status, 416u);
    EXPECT_EQ(error_code(replay), "RANGE_INVALID");
    EXPECT_EQ(range_end(replay), end);
    ++refused;
    auto status = c.request("GET", location);
    ASSERT_EQ(status.status, 204u);
    offset = range_end(status);
    ASSERT_EQ(offset, end);
  }
  EXPECT_GT(refused, 5);
  auto put = c.request("PUT", location + "?digest=" + digest_of(data));
  ASSERT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(c.request("GET", "/v2/lib/chunky/blobs/" + digest_of(data)).body, data);
}

TEST(OciUpload, ResumesAfterServerRestartOnTheSameRoot) {
  TempDir root;
  const std::string data = blob_bytes(300'000, 51);
  const std::string digest = digest_of(data);
  std::string location;
  {
    TestServer first(root.path());
    HttpClient c(first.port());
    auto post = c.request("POST", "/v2/lib/restart/blobs/uploads/");
    ASSERT_EQ(post.status, 202u);
    location = post.header("location");
    ASSERT_EQ(c.request("PATCH", location, data.substr(0, 100'000),
                        {{"Content-Range", content_range(0, 100'000)}})
                  .status,
              202u);
    ASSERT_EQ(c.request("PATCH", location, data.substr(100'000, 50'000)).status, 202u);
  }  // stopped: the parked writer is closed, the ingest stays on disk

  TestServer second(root.path());
  HttpClient c(second.port());
  auto status = c.request("GET", location);
  ASSERT_EQ(status.status, 204u) << status.body;
  ASSERT_EQ(range_end(status), 150'000u);
  EXPECT_EQ(status.header("location"), location);
  EXPECT_EQ(c.request("HEAD", "/v2/lib/restart/blobs/" + digest).status, 404u);

  auto patch = c.request("PATCH", location, data.substr(150'000, 100'000),
                         {{"Content-Range", content_range(150'000, 250'000)}});
  ASSERT_EQ(patch.status, 202u) << patch.body;
  EXPECT_EQ(range_end(patch), 250'000u);
  auto put = c.request("PUT", location + "?digest=" + digest, data.substr(250'000),
                       {{"Content-Range", content_range(250'000, data.size())}});
  ASSERT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(put.header("docker-content-digest"), digest);
  auto get = c.request("GET", "/v2/lib/restart/blobs/" + digest);
  EXPECT_EQ(get.status, 200u);
  EXPECT_EQ(digest_of(get.body), digest);
}

TEST(OciUpload, CommittedContentSurvivesRestart) {
  TempDir root;
  std::string digest;
  Image img;
  {
    TestServer first(root.path());
    HttpClient c(first.port());
    digest = push_blob(c, "lib/keep", "kept across restarts");
    img = push_image_blobs(c, "lib/keep", 52);
    ASSERT_EQ(put_manifest(c, "lib/keep", "latest", img.manifest, kOciManifestType).status, 201u);
  }
  TestServer second(root.path());
  HttpClient c(second.port());
  EXPECT_EQ(c.request("GET", "/v2/lib/keep/blobs/" + digest).body, "kept across restarts");
  EXPECT_EQ(c.request("GET", "/v2/lib/keep/manifests/latest").body, img.manifest);
}

// Two threads push the same bytes to two repositories at once; both must end with a readable
// blob and a 201. Each round uses new bytes so every round races on a fresh digest.
TEST(OciUpload, SameBlobPushedConcurrentlyToTwoRepositories) {
  TestServer srv;
  for (uint32_t round = 0; round < 6; ++round) {
    const std::string data = blob_bytes(256 * 1024 + round, 60 + round);
    const std::string digest = digest_of(data);
    const bool chunked = round % 2 == 1;
    std::latch go(2);
    unsigned status[2] = {0, 0};
    std::string errors[2];
    auto push = [&](int i) {
      try {
        HttpClient c(srv.port());
        const std::string name = i == 0 ? "team/one" : "team/two";
        go.arrive_and_wait();
        if (!chunked) {
          status[i] =
              c.request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + digest, data).status;
          return;
        }
        auto post = c.request("POST", "/v2/" + name + "/blobs/uploads/");
        std::string location = post.header("location");
        size_t half = data.size() / 2;
        c.request("PATCH", location, data.substr(0, half),
                  {{"Content-Range", content_range(0, half)}});
        status[i] = c.request("PUT", location + "?digest=" + digest, data.substr(half),
                              {{"Content-Range", content_range(half, data.size())}})
                        .status;
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    };
    std::thread a(push, 0), b(push, 1);
    a.join();
    b.join();
    HttpClient c(srv.port());
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(errors[i], "") << "round " << round;
      EXPECT_EQ(status[i], 201u) << "round " << round << " push " << i;
      const std::string name = i == 0 ? "team/one" : "team/two";
      auto get = c.request("GET", "/v2/" + name + "/blobs/" + digest);
      EXPECT_EQ(get.status, 200u) << "round " << round;
      EXPECT_EQ(get.header("docker-content-digest"), digest);
      EXPECT_TRUE(get.body == data) << "round " << round << ": bytes differ";
    }
  }
}

// A client that goes away mid-body: the request line and headers announce 1 MiB, 300 KiB arrive,
// then the client hangs up. Nothing is committed; the upload stays resumable from what arrived.
struct HangupCase {
  const char* label;
  const char* method;    // of the broken request
  bool digest_in_query;  // PUT ?digest=<the whole blob's digest>
  bool content_range;    // a Content-Range header announcing the whole chunk
  size_t already;        // bytes PATCHed before the broken request
};

class OciUploadHangup : public ::testing::TestWithParam<HangupCase> {};

TEST_P(OciUploadHangup, UploadStaysResumableAndNothingIsCommitted) {
  const HangupCase& tc = GetParam();
  constexpr size_t kAnnounced = 1 << 20;
  constexpr size_t kSent = 300 * 1024;
  TestServer srv;
  HttpClient c(srv.port());
  const std::string data = blob_bytes(tc.already + kAnnounced, 70);
  const std::string digest = digest_of(data);

  auto post = c.request("POST", "/v2/lib/hangup/blobs/uploads/");
  ASSERT_EQ(post.status, 202u);
  const std::string location = post.header("location");
  if (tc.already > 0) {
    ASSERT_EQ(c.request("PATCH", location, data.substr(0, tc.already)).status, 202u);
  }

  std::string head = std::string(tc.method) + " " + location +
                     (tc.digest_in_query ? "?digest=" + digest : "") +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Length: " +
                     std::to_string(kAnnounced) + "\r\n";
  if (tc.content_range)
    head += "Content-Range: " + content_range(tc.already, tc.already + kAnnounced) + "\r\n";
  head += "\r\n";
  HttpClient raw(srv.port());
  raw.raw_then_hangup(head + data.substr(tc.already, kSent));

  // Nothing committed: neither the announced blob nor the bytes that arrived.
  EXPECT_EQ(c.request("HEAD", "/v2/lib/hangup/blobs/" + digest).status, 404u);
  EXPECT_EQ(
      c.request("HEAD", "/v2/lib/hangup/blobs/" + digest_of(data.substr(0, tc.already + kSent)))
          .status,
      404u);

  // The status shows what arrived (or less); the client goes on from there.
  auto status = c.request("GET", location);
  ASSERT_EQ(status.status, 204u) << status.body;
  const size_t offset = range_end(status);
  EXPECT_GE(offset, tc.already);
  EXPECT_LE(offset, tc.already + kSent);
  auto patch = c.request("PATCH", location, data.substr(offset),
                         {{"Content-Range", content_range(offset, data.size())}});
  ASSERT_EQ(patch.status, 202u) << patch.body;
  EXPECT_EQ(range_end(patch), data.size());
  auto put = c.request("PUT", location + "?digest=" + digest);
  ASSERT_EQ(put.status, 201u) << put.body;
  auto get = c.request("GET", "/v2/lib/hangup/blobs/" + digest);
  EXPECT_EQ(get.status, 200u);
  EXPECT_EQ(digest_of(get.body), digest);
  EXPECT_EQ(HttpClient(srv.port()).request("GET", "/v2/").status, 200u);
}

INSTANTIATE_TEST_SUITE_P(
    All, OciUploadHangup,
    ::testing::Values(HangupCase{"Patch", "PATCH", false, false, 0},
                      HangupCase{"PatchWithRange", "PATCH", false, true, 0},
                      HangupCase{"PatchAfterChunk", "PATCH", false, true, 4096},
                      HangupCase{"PutFinalChunk", "PUT", true, false, 0},
                      HangupCase{"PutFinalChunkAfterChunk", "PUT", true, true, 4096}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(OciUpload, MonolithicPushThatHangsUpCommitsNothing) {
  TestServer srv;
  const std::string data = blob_bytes(1 << 20, 71);
  const std::string digest = digest_of(data);
  HttpClient raw(srv.port());
  raw.raw_then_hangup("POST /v2/lib/hangup/blobs/uploads/?digest=" + digest +
                      " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(data.size()) +
                      "\r\n\r\n" + data.substr(0, 300 * 1024));
  HttpClient c(srv.port());
  EXPECT_EQ(c.request("HEAD", "/v2/lib/hangup/blobs/" + digest).status, 404u);
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
  // The digest can still be pushed whole.
  push_blob(c, "lib/hangup", data);
  EXPECT_EQ(c.request("HEAD", "/v2/lib/hangup/blobs/" + digest).status, 200u);
}

}  // namespace
}  // namespace cairn::testing
