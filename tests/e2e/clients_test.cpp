// End-to-end: real clients (skopeo, buildah, curl) against the real server, in-process on
// 127.0.0.1 with a free port and a temporary root. The clients are Debian packages that the
// README's test command installs; a missing client fails the test rather than skipping it.
#include "tests/support/readme.h"
#include "tests/support/shell.h"
#include "tests/support/test_server.h"
#include "tests/support/tools.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace cairn::testing {
namespace {

class Clients : public ::testing::Test {
 protected:
  std::string registry() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::string url() const { return "http://" + registry(); }
  std::string tmp(const std::string& sub) const { return (work_ / sub).string(); }

  TestServer server_;
  TempDir work_;
};

TEST_F(Clients, SkopeoCopiesAnOciLayoutInAndBackOut) {
  REQUIRE_TOOL("skopeo");
  auto made =
      sh(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh " + tmp("layout") + " v1");
  ASSERT_EQ(made.status, 0) << made.output;
  std::string manifest = trim(made.output);

  auto push = sh("skopeo copy --dest-tls-verify=false oci:" + tmp("layout") + ":v1 docker://" +
                 registry() + "/e2e/skopeo:v1");
  ASSERT_EQ(push.status, 0) << push.output;
  auto inspect = sh("skopeo inspect --raw --tls-verify=false docker://" + registry() +
                    "/e2e/skopeo:v1 | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_EQ("sha256:" + trim(inspect.output), manifest);  // the exact bytes came back

  auto pull = sh("skopeo copy --src-tls-verify=false docker://" + registry() +
                 "/e2e/skopeo:v1 dir:" + tmp("out"));
  ASSERT_EQ(pull.status, 0) << pull.output;
  // Every blob of the layout came back byte-exact (dir: names blobs by their hex digest).
  auto compare = sh("cd " + tmp("layout") + "/blobs/sha256 && for f in *; do [ \"$f\" = \"" +
                    manifest.substr(7) + "\" ] && continue; cmp \"$f\" " + tmp("out") +
                    "/\"$f\" || exit 1; done; cmp " + manifest.substr(7) + " " + tmp("out") +
                    "/manifest.json");
  EXPECT_EQ(compare.status, 0) << compare.output;
}

TEST_F(Clients, BuildahBuildsAndPushesAndSkopeoReadsIt) {
  REQUIRE_TOOL("buildah");
  REQUIRE_TOOL("skopeo");
  std::string b =
      "buildah --root " + tmp("bh-root") + " --runroot " + tmp("bh-run") + " --storage-driver vfs ";
  auto built = sh("set -e; echo 'built by buildah' > " + tmp("file.txt") + "; c=$(" + b +
                  "from scratch); " + b + "copy $c " + tmp("file.txt") + " /file.txt; " + b +
                  "config --label org.example=cairn $c; " + b + "commit $c localhost/e2e:v1");
  ASSERT_EQ(built.status, 0) << built.output;
  auto push =
      sh(b + "push --tls-verify=false localhost/e2e:v1 docker://" + registry() + "/e2e/buildah:v1");
  ASSERT_EQ(push.status, 0) << push.output;
  auto inspect = sh("skopeo inspect --tls-verify=false docker://" + registry() + "/e2e/buildah:v1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("\"org.example\": \"cairn\""), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("\"v1\""), std::string::npos) << inspect.output;
  sh(b + "rm --all >/dev/null; " + b + "rmi --all --force >/dev/null");
}

TEST_F(Clients, CurlPushesOneGibInChunksAndPullsItBack) {
  REQUIRE_TOOL("curl");
  const std::string big = tmp("big");
  auto made = sh("head -c 1073741824 /dev/urandom > " + big + " && split -b 134217728 -d " + big +
                 " " + tmp("chunk.") + " && sha256sum " + big + " | cut -d' ' -f1");
  ASSERT_EQ(made.status, 0) << made.output;
  std::string digest = "sha256:" + trim(made.output);
  std::string script = "set -e; U=" + url() +
                       "; L=$(curl -fsS -D - -o /dev/null -X POST $U/v2/e2e/big/blobs/uploads/ | "
                       "tr -d '\\r' | sed -n 's/^[Ll]ocation: //p'); off=0; for c in " +
                       tmp("chunk.") +
                       "*; do n=$(stat -c %s $c); curl -fsS -H 'Expect:' -X PATCH -H "
                       "\"Content-Range: $off-$((off+n-1))\" --data-binary @$c $U$L; "
                       "off=$((off+n)); done; curl -fsS -X PUT \"$U$L?digest=" +
                       digest + "\"; curl -fsS $U/v2/e2e/big/blobs/" + digest +
                       " | sha256sum | cut -d' ' -f1";
  auto pushed = sh(script);
  ASSERT_EQ(pushed.status, 0) << pushed.output;
  EXPECT_EQ("sha256:" + trim(pushed.output), digest);
  sh("rm -f " + big + " " + tmp("chunk.") + "*");
}

// Runs a README block with CAIRN pointing at `url`, in `dir`.
Run run_readme_block(const std::string& heading, const std::string& url, const TempDir& dir) {
  std::string block = readme_block(heading);
  EXPECT_FALSE(block.empty()) << heading;
  std::ofstream((dir / "block.sh").string()) << block;
  return sh("cd " + dir.path().string() + " && CAIRN=" + url + " bash -euo pipefail block.sh");
}

TEST_F(Clients, ReadmeCurlWalkthroughRunsAsWritten) {
  REQUIRE_TOOL("curl");
  auto walked = run_readme_block("### Walk-through with curl", url(), work_);
  ASSERT_EQ(walked.status, 0) << walked.output;
  EXPECT_NE(walked.output.find("Range: 0-5"), std::string::npos) << walked.output;
  EXPECT_NE(walked.output.find("hello, cairn"), std::string::npos) << walked.output;
  EXPECT_NE(walked.output.find("{\"name\":\"demo/hello\",\"tags\":[\"v1\"]}"), std::string::npos)
      << walked.output;
}

TEST(ReadmeGc, LeaseAndGcWalkthroughRunsAsWritten) {
  REQUIRE_TOOL("curl");
  handlers::ServiceOptions service;
  service.storage.gc.grace = std::chrono::seconds(0);  // as `--gc-grace 0s`
  TestServer server({}, service);
  TempDir dir;
  auto walked = run_readme_block("### Leases, labels and garbage collection",
                                 "http://127.0.0.1:" + std::to_string(server.port()), dir);
  ASSERT_EQ(walked.status, 0) << walked.output;
  EXPECT_NE(walked.output.find("leased blob: 200"), std::string::npos) << walked.output;
  EXPECT_NE(walked.output.find("after the lease: 404"), std::string::npos) << walked.output;
  EXPECT_NE(walked.output.find("gc.root blob: 200"), std::string::npos) << walked.output;
}

}  // namespace
}  // namespace cairn::testing
