// The fleet as an operator runs it: three `cairn serve --blobs s3://… --metadata postgresql://…`
// processes (the real executable, each with a root of its own) over one bucket of a real Ceph
// RGW and one PostgreSQL database, both started once for this binary (tests/support/rgw.h,
// postgres.h; ctest runs the binary whole). skopeo pushes through one replica and podman pulls
// through another; an upload begun on one replica that is then SIGKILLed is finished through
// the two others. The clients are Debian packages the README's test command installs: a missing
// one fails the test.
#include "tests/support/child.h"
#include "tests/support/files.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/ports.h"
#include "tests/support/postgres.h"
#include "tests/support/rgw_bucket.h"
#include "tests/support/shell.h"
#include "tests/support/tools.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

namespace cairn::testing {
namespace {

// One replica: the cairn executable on a free loopback port, stopped by its PID.
class Replica {
 public:
  Replica(const std::string& blobs, const std::string& metadata, const std::filesystem::path& log)
      : log_(log) {
    port_ = pick_free_port();
    child_.emplace(std::vector<std::string>{CAIRN_EXE, "serve", "--root", root_.path().string(),
                                            "--listen", "127.0.0.1:" + std::to_string(port_),
                                            "--blobs", blobs, "--metadata", metadata},
                   log);
    // Ready once it answers /v2/ (it probes the bucket and opens the database first).
    for (int i = 0; i < 600 && child_->alive(); ++i) {
      try {
        if (HttpClient(port_).request("GET", "/v2/").status == 200)
          return;
      } catch (const std::exception&) {  // not listening yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("replica did not start: " + read_file(log));
  }
  uint16_t port() const { return port_; }
  std::string registry() const { return "127.0.0.1:" + std::to_string(port_); }
  // Ends it as a power cut or the OOM killer would: no word to anyone.
  void kill() {
    ::kill(child_->pid(), SIGKILL);
    child_.reset();
  }

 private:
  TempDir root_;
  std::filesystem::path log_;
  uint16_t port_ = 0;
  std::optional<Child> child_;
};

class Fleet : public ::testing::Test {
 protected:
  void SetUp() override {
    RgwServer& rgw = RgwServer::shared();
    const std::string bucket = rgw.fresh_bucket();
    s3::BucketLocation l;
    l.config.endpoint = rgw.endpoint();
    l.config.region = RgwServer::region();
    l.config.credentials = {RgwServer::access_key(), RgwServer::secret_key()};
    l.bucket = bucket;
    ASSERT_TRUE(s3::Bucket(l).create());
    ::setenv("AWS_ACCESS_KEY_ID", RgwServer::access_key().c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", RgwServer::secret_key().c_str(), 1);
    const std::string blobs =
        "s3://" + bucket + "/fleet?endpoint=" + rgw.endpoint() + "&region=" + RgwServer::region();
    const std::string db = PostgresServer::shared().fresh_database();
    for (int i = 0; i < 3; ++i) {
      replicas_.push_back(std::make_unique<Replica>(
          blobs, db, work_.path() / ("replica" + std::to_string(i) + ".log")));
    }
  }
  std::string tmp(const std::string& sub) const { return (work_.path() / sub).string(); }
  std::string logs() const {
    std::string out;
    for (int i = 0; i < 3; ++i)
      out += read_file(work_.path() / ("replica" + std::to_string(i) + ".log"));
    return out;
  }

  TempDir work_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

TEST_F(Fleet, SkopeoPushesThroughOneReplicaAndPodmanPullsThroughAnother) {
  REQUIRE_TOOL("skopeo");
  REQUIRE_TOOL("podman");
  auto made =
      sh(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh " + tmp("layout") + " v1");
  ASSERT_EQ(made.status, 0) << made.output;
  const std::string manifest = trim(made.output);
  auto push = sh("skopeo copy --dest-tls-verify=false oci:" + tmp("layout") + ":v1 docker://" +
                 replicas_[0]->registry() + "/fleet/app:v1");
  ASSERT_EQ(push.status, 0) << push.output << logs();

  const std::string podman = "podman --root " + tmp("pm-root") + " --runroot " + tmp("pm-run") +
                             " --tmpdir " + tmp("pm-tmp") +
                             " --storage-driver vfs --cgroup-manager cgroupfs --events-backend "
                             "file ";
  const std::string ref = replicas_[1]->registry() + "/fleet/app:v1";
  auto pulled = sh(podman + "pull --tls-verify=false " + ref);
  ASSERT_EQ(pulled.status, 0) << pulled.output << logs();
  auto inspect = sh(podman + "image inspect --format '{{.Digest}}' " + ref);
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_EQ(trim(inspect.output), manifest);  // the manifest's exact bytes came back
  // The layer's bytes, through the third replica, are the layout's.
  auto layer = sh("cd " + tmp("layout") + "/blobs/sha256 && ls -S | head -1");
  ASSERT_EQ(layer.status, 0);
  HttpClient c(replicas_[2]->port());
  auto got = c.request("GET", "/v2/fleet/app/blobs/sha256:" + trim(layer.output));
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(digest_of(got.body), "sha256:" + trim(layer.output));
  sh(podman + "rmi --all --force >/dev/null");
}

TEST_F(Fleet, AnUploadOutlivesAReplicaKilledMidUpload) {
  const std::string layer = blob_bytes(11 * 1024 * 1024 + 9, 77);
  const size_t first = 9 * 1024 * 1024;  // one 8 MiB part and a tail
  HttpClient a(replicas_[0]->port());
  auto started = a.request("POST", "/v2/fleet/big/blobs/uploads/");
  ASSERT_EQ(started.status, 202u) << started.body;
  auto patched = a.request("PATCH", started.header("location"), layer.substr(0, first),
                           {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(patched.status, 202u) << patched.body;
  replicas_[0]->kill();

  HttpClient b(replicas_[1]->port());
  const std::string location = patched.header("location");
  auto status = b.request("GET", location);
  ASSERT_EQ(status.status, 204u) << status.body;
  EXPECT_EQ(status.header("range"), "0-" + std::to_string(first - 1));
  auto rest = b.request("PATCH", location, layer.substr(first),
                        {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(rest.status, 202u) << rest.body;
  HttpClient c(replicas_[2]->port());
  const std::string loc = rest.header("location");
  auto put = c.request(
      "PUT", loc + (loc.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest_of(layer));
  ASSERT_EQ(put.status, 201u) << put.body << logs();
  auto got = b.request("GET", "/v2/fleet/big/blobs/" + digest_of(layer));
  ASSERT_EQ(got.status, 200u);
  EXPECT_TRUE(got.body == layer);
}

}  // namespace
}  // namespace cairn::testing
