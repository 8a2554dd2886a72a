// I/O errors through the filesystem seam, at HTTP level: EIO reading a blob, EIO on the commit's
// fsync and on its rename, ENOSPC writing a chunk. Each answers a clean error with an OCI body,
// shows nothing half-written, leaves the upload resumable, and the next request works.
#include "tests/powercut/harness.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace cairn::testing {
namespace {

constexpr std::string_view kRepo = "eio/repo";

// Starts an upload and sends all of `data`; returns its location.
std::string upload_all(HttpClient& c, const std::string& data) {
  auto post = c.request("POST", "/v2/" + std::string(kRepo) + "/blobs/uploads/");
  EXPECT_EQ(post.status, 202u);
  std::string location = post.header("location");
  auto p = c.request("PATCH", location, data, {{"Content-Range", content_range(0, data.size())}});
  EXPECT_EQ(p.status, 202u) << p.body;
  return location;
}

// The commit failed cleanly: nothing visible, the upload still holds every byte, and a second
// PUT commits it.
void expect_resumable_after_failed_commit(HttpClient& c, PowerCutHarness& h,
                                          const std::string& location, const std::string& data) {
  const std::string d = digest_of(data);
  const std::string blob = "/v2/" + std::string(kRepo) + "/blobs/" + d;
  EXPECT_EQ(c.request("HEAD", blob).status, 404u);
  EXPECT_FALSE(std::filesystem::exists(h.blob_path(d))) << "a failed commit left a blob file";
  auto st = c.request("GET", location);
  ASSERT_EQ(st.status, 204u) << st.body;
  EXPECT_EQ(st.header("range"), "0-" + std::to_string(data.size() - 1));
  auto put = c.request("PUT", location + "?digest=" + d);
  ASSERT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(c.request("GET", blob).body, data);
}

TEST(FaultSeam, EioReadingABlobIsACleanErrorAndReadsWorkAfter) {
  PowerCutHarness h;
  h.start();
  HttpClient c(h.port());
  const std::string data = blob_bytes(20'000, 1);
  const std::string d = push_blob(c, std::string(kRepo), data);
  const std::string blob = "/v2/" + std::string(kRepo) + "/blobs/" + d;
  h.model().inject(FaultOp::read, 1, EIO, /*sticky=*/true);
  auto r = c.request("GET", blob);
  h.model().clear_faults();
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(error_code(r), "UNKNOWN") << r.body;
  auto again = c.request("GET", blob);
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.body, data);
}

TEST(FaultSeam, EioReadingThroughAReaderIsAnIoError) {
  PowerCutHarness h;
  h.start();
  HttpClient c(h.port());
  const std::string data = blob_bytes(5'000, 2);
  auto d = content::Digest::parse(push_blob(c, std::string(kRepo), data)).value();
  auto reader = h.storage().blobs().reader(d);
  ASSERT_TRUE(reader.has_value());
  std::vector<std::byte> buf(data.size());
  h.model().inject(FaultOp::read, 1, EIO);
  auto n = (*reader)->read_at(buf, 0);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code, Errc::io);
  n = (*reader)->read_at(buf, 0);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, data.size());
}

TEST(FaultSeam, EioOnTheCommitFsyncFailsCleanlyAndTheUploadResumes) {
  PowerCutHarness h;
  h.start();
  HttpClient c(h.port());
  const std::string data = blob_bytes(70'000, 3);
  std::string location = upload_all(c, data);
  h.model().inject(FaultOp::sync, 1, EIO);  // the commit's fsync of the data is the first
  auto put = c.request("PUT", location + "?digest=" + digest_of(data));
  h.model().clear_faults();
  EXPECT_GE(put.status, 500u) << put.body;
  EXPECT_NE(error_code(put), "<none>") << put.body;
  expect_resumable_after_failed_commit(c, h, location, data);
}

TEST(FaultSeam, EioOnTheCommitRenameFailsCleanlyAndTheUploadResumes) {
  PowerCutHarness h;
  h.start();
  HttpClient c(h.port());
  const std::string data = blob_bytes(70'000, 4);
  std::string location = upload_all(c, data);
  h.model().inject(FaultOp::rename, 1, EIO, /*sticky=*/true);
  auto put = c.request("PUT", location + "?digest=" + digest_of(data));
  h.model().clear_faults();
  EXPECT_GE(put.status, 500u) << put.body;
  EXPECT_NE(error_code(put), "<none>") << put.body;
  expect_resumable_after_failed_commit(c, h, location, data);
}

TEST(FaultSeam, NoSpaceWritingAChunkKeepsWhatWasAcknowledged) {
  PowerCutHarness h;
  h.start();
  HttpClient c(h.port());
  const std::string data = blob_bytes(50'000, 5);
  auto post = c.request("POST", "/v2/" + std::string(kRepo) + "/blobs/uploads/");
  ASSERT_EQ(post.status, 202u);
  const std::string location = post.header("location");
  auto p1 = c.request("PATCH", location, data.substr(0, 20'000),
                      {{"Content-Range", content_range(0, 20'000)}});
  ASSERT_EQ(p1.status, 202u);
  // Once: a sticky fault would fail the writer's ftruncate back to the acknowledged offset too,
  // which leaves the parked writer broken (see the report on issue 10).
  h.model().inject(FaultOp::write, 1, ENOSPC);
  auto p2 = c.request("PATCH", location, data.substr(20'000),
                      {{"Content-Range", content_range(20'000, data.size())}});
  h.model().clear_faults();
  EXPECT_TRUE(p2.status == 507u || p2.status == 500u) << p2.status << " " << p2.body;
  EXPECT_NE(error_code(p2), "<none>") << p2.body;
  auto st = c.request("GET", location);
  ASSERT_EQ(st.status, 204u) << st.body;
  EXPECT_EQ(st.header("range"), "0-19999");
  auto p3 = c.request("PATCH", location, data.substr(20'000),
                      {{"Content-Range", content_range(20'000, data.size())}});
  ASSERT_EQ(p3.status, 202u) << p3.body;
  auto put = c.request("PUT", location + "?digest=" + digest_of(data));
  ASSERT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(c.request("GET", "/v2/" + std::string(kRepo) + "/blobs/" + digest_of(data)).body, data);
}

// The model itself: unsynced data and entries go, synced ones stay, unlinks come back.
TEST(PowerCutModel, DropsWhatNoFsyncCovered) {
  TempDir dir;
  const auto root = dir.path() / "root";
  std::filesystem::create_directories(root);
  PowerCut model(dir.path() / "trash");
  FaultFileSystem fs(model);
  auto write_file = [&](const std::filesystem::path& p, std::string_view text, bool sync) {
    int fd = fs.open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(fs.write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    if (sync)
      ASSERT_EQ(fs.fsync(fd), 0);
    ::close(fd);
  };
  auto sync_dir = [&](const std::filesystem::path& p) {
    int fd = fs.open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(fs.fsync(fd), 0);
    ::close(fd);
  };
  write_file(root / "durable", "abc", true);
  sync_dir(root);
  write_file(root / "unsynced-entry", "xyz", true);  // data synced, entry not
  ASSERT_EQ(fs.rename((root / "durable").c_str(), (root / "renamed").c_str()), 0);
  model.cut();
  EXPECT_LT(fs.open((root / "x").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644), 0);
  EXPECT_EQ(errno, EIO);
  auto d = model.drop_unsynced(root);
  EXPECT_FALSE(std::filesystem::exists(root / "unsynced-entry"));
  EXPECT_FALSE(std::filesystem::exists(root / "renamed"));
  ASSERT_TRUE(std::filesystem::exists(root / "durable"));
  EXPECT_EQ(d.entries_undone, 2u);

  // Data past the last fsync is cut; an unlink not made durable is undone.
  int fd = fs.open((root / "durable").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fs.write(fd, "ghi", 3), 3);
  ::close(fd);
  ASSERT_EQ(fs.unlink((root / "durable").c_str()), 0);
  model.cut();
  d = model.drop_unsynced(root);
  ASSERT_TRUE(std::filesystem::exists(root / "durable"));
  EXPECT_EQ(std::filesystem::file_size(root / "durable"), 3u);
  EXPECT_EQ(d.bytes_dropped, 3u);
}

}  // namespace
}  // namespace cairn::testing
