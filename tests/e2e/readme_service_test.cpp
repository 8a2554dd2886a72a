// The README's Retention, Quotas, Metrics and Notifications sections, run as written: the real
// executable started as the README starts it, with the config file the README shows, and the
// README's shell blocks run with curl (and, for notifications, its python receiver). Ports are free
// ones instead of the README's 5000 and 5055; everything else is the README's text.
#include "tests/support/child.h"
#include "tests/support/files.h"
#include "tests/support/http_client.h"
#include "tests/support/ports.h"
#include "tests/support/readme.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tools.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

TEST(ReadmeService, RetentionQuotaAndMetricsBlocksRunAsWritten) {
  REQUIRE_TOOL("curl");
  TempDir work;
  TempDir root;
  const std::string config = readme_block("### Retention", "json");
  ASSERT_NE(config.find("\"retention\""), std::string::npos) << config;
  std::ofstream(work / "cairn.json") << config;
  // As the README: build/cairn serve --config cairn.json (the default GC grace: with 0s a
  // collection that retention triggers between a config's push and its manifest's may take the
  // config, and the PUT is refused).
  const uint16_t port = pick_free_port();
  Child server({CAIRN_EXE, "serve", "--config", (work / "cairn.json").string(), "--root",
                root.path().string(), "--listen", "127.0.0.1:" + std::to_string(port),
                "--access-log", "off"},
               work / "server.log");
  ASSERT_TRUE(wait_ready(port)) << read_file(work / "server.log");
  const std::string env = "CAIRN=http://127.0.0.1:" + std::to_string(port) + " ";

  std::ofstream(work / "retention.sh") << readme_block("### Retention");
  auto retention =
      sh("cd " + work.path().string() + " && " + env + "bash -euo pipefail retention.sh");
  ASSERT_EQ(retention.status, 0) << retention.output;
  // The dry run and the run report retention's figures (which tags each names depends on
  // whether the scheduler applied the policy between the pushes); the end state does not.
  EXPECT_NE(retention.output.find("\"retention\":{\"dryRun\":true"), std::string::npos)
      << retention.output;
  EXPECT_NE(retention.output.find("\"removedTags\""), std::string::npos) << retention.output;
  EXPECT_NE(retention.output.find("{\"name\":\"ret/app\",\"tags\":[\"v4\",\"v5\"]}"),
            std::string::npos)
      << retention.output;

  std::ofstream(work / "quotas.sh") << readme_block("### Quotas");
  auto quotas = sh("cd " + work.path().string() + " && " + env + "bash -euo pipefail quotas.sh");
  ASSERT_EQ(quotas.status, 0) << quotas.output;
  EXPECT_NE(quotas.output.find("\"code\":\"DENIED\""), std::string::npos) << quotas.output;
  EXPECT_NE(quotas.output.find("q/**"), std::string::npos) << quotas.output;
  EXPECT_NE(quotas.output.find("\"limitBytes\":1048576"), std::string::npos) << quotas.output;
  EXPECT_NE(quotas.output.find("\"usedBytes\":0"), std::string::npos) << quotas.output;

  // The Metrics section's block (promtool's check fails the pipeline on a bad page).
  REQUIRE_TOOL("promtool");
  std::ofstream(work / "metrics.sh") << replace_all(readme_block("## Metrics"), "127.0.0.1:5000",
                                                    "127.0.0.1:" + std::to_string(port));
  auto metrics = sh("cd " + work.path().string() + " && bash -euo pipefail metrics.sh");
  ASSERT_EQ(metrics.status, 0) << metrics.output;
  EXPECT_NE(metrics.output.find("cairn_http_requests_total{"), std::string::npos) << metrics.output;
  EXPECT_EQ(server.stop(), 0);
}

TEST(ReadmeService, NotificationBlockRunsAsWritten) {
  REQUIRE_TOOL("curl");
  REQUIRE_TOOL("python3");
  TempDir work;
  const std::string sink = std::to_string(pick_free_port());
  const std::string port = std::to_string(pick_free_port());
  const std::string config = readme_block("## Notifications", "json");
  ASSERT_NE(config.find("\"notifications\""), std::string::npos) << config;
  std::ofstream(work / "notify.json") << replace_all(config, "5055", sink);
  // The block runs from the repository's root (build/cairn) with the README's ports swapped for
  // free ones; it leaves the receiver and the server running in the background, so the script
  // waits for the event, then stops both by PID.
  fs::create_directories(work / "build");
  fs::create_symlink(CAIRN_EXE, work / "build" / "cairn");
  std::string block = readme_block("## Notifications");
  ASSERT_NE(block.find("build/cairn serve --config notify.json &"), std::string::npos) << block;
  block = replace_all(block, "5055", sink);
  block = replace_all(block, "127.0.0.1:5000", "127.0.0.1:" + port);
  block = replace_all(
      block, "build/cairn serve --config notify.json &",
      "build/cairn serve --config notify.json --listen 127.0.0.1:" + port + " --access-log off &");
  block += R"(
for i in $(seq 200); do grep -q '"action":"push"' out.txt && break; sleep 0.05; done
kill $(jobs -p)
wait || true
)";
  std::ofstream(work / "notify.sh") << block;
  auto ran = sh("cd " + work.path().string() + " && bash -eu notify.sh > out.txt 2>&1");
  const std::string out = read_file(work / "out.txt");
  ASSERT_EQ(ran.status, 0) << out;
  EXPECT_NE(out.find("\"action\":\"push\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"repository\":\"demo/hello\""), std::string::npos) << out;
  // The digest of hello.txt ("hello\n").
  EXPECT_NE(out.find("sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace cairn::testing
