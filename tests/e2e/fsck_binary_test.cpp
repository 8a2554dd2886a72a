// `cairn fsck` on the real executable: refused while a server holds the root, clean after a
// push, a flipped byte found (exit 1, the digest named; --json parses), quarantined by --repair,
// and healed by a re-push through a restarted server (exit 0 again).
#include "tests/support/child.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/ports.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace cairn::testing {
namespace {

using FsckRun = SplitRun;

// Runs `cairn fsck <args>` and captures its exit status and output.
FsckRun fsck(const TempDir& scratch, const std::string& args) {
  return sh_split(std::string(CAIRN_EXE) + " fsck " + args, scratch.path() / "fsck.err");
}

std::unique_ptr<Child> serve(const TempDir& root, const TempDir& scratch, uint16_t port) {
  return std::make_unique<Child>(
      std::vector<std::string>{CAIRN_EXE, "serve", "--root", root.path().string(), "--listen",
                               "127.0.0.1:" + std::to_string(port), "--access-log", "off"},
      scratch.path() / "server.log");
}

TEST(FsckBinary, FlippedByteIsFoundQuarantinedAndHealedByARepush) {
  TempDir root;
  TempDir scratch;
  const uint16_t port = pick_free_port();
  const std::string data = blob_bytes(300'000, 11);
  const std::string flags = "--root " + root.path().string();
  std::string digest;
  {
    auto server = serve(root, scratch, port);
    ASSERT_TRUE(wait_ready(port));
    HttpClient c(port);
    digest = push_blob(c, "e2e/fsck", data);

    // The server holds the database lock: fsck says to use the online check instead.
    FsckRun busy = fsck(scratch, flags);
    EXPECT_EQ(busy.status, 2) << busy.err;
    EXPECT_NE(busy.err.find("POST /_admin/fsck"), std::string::npos) << busy.err;
    EXPECT_EQ(server->stop(), 0);
  }

  FsckRun clean = fsck(scratch, flags);
  EXPECT_EQ(clean.status, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("clean"), std::string::npos) << clean.out;

  // Flip one byte of the committed file.
  const auto file = root.path() / "content" / "blobs" / "sha256" / digest.substr(7);
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1234);
    f.put(static_cast<char>(data[1234] ^ 0x01));
  }
  ASSERT_EQ(::chmod(file.c_str(), 0444), 0);

  FsckRun found = fsck(scratch, flags);
  EXPECT_EQ(found.status, 1) << found.out << found.err;
  EXPECT_NE(found.out.find("corrupt " + digest), std::string::npos) << found.out;

  FsckRun json = fsck(scratch, flags + " --json");
  EXPECT_EQ(json.status, 1);
  auto report = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << json.out;
  EXPECT_EQ(report["state"], "done");
  EXPECT_EQ(report["trigger"], "cli");
  ASSERT_EQ(report["findings"].size(), 1u);
  EXPECT_EQ(report["findings"][0]["kind"], "corrupt");
  EXPECT_EQ(report["findings"][0]["digest"], digest);
  EXPECT_EQ(report["progress"]["bytesHashed"], 300'000);

  FsckRun repaired = fsck(scratch, flags + " --repair");
  EXPECT_EQ(repaired.status, 1) << repaired.out;  // problems were found, even if repaired
  EXPECT_NE(repaired.out.find("quarantined to quarantine/sha256/" + digest.substr(7)),
            std::string::npos)
      << repaired.out;
  EXPECT_NE(repaired.out.find("repaired 1"), std::string::npos) << repaired.out;
  EXPECT_FALSE(std::filesystem::exists(file));
  size_t quarantined = 0;
  for (const auto& e : std::filesystem::directory_iterator(root.path() / "quarantine" / "sha256")) {
    EXPECT_TRUE(e.path().filename().string().starts_with(digest.substr(7) + "."));
    ++quarantined;
  }
  EXPECT_EQ(quarantined, 1u);

  {
    auto server = serve(root, scratch, port);
    ASSERT_TRUE(wait_ready(port));
    HttpClient c(port);
    EXPECT_EQ(c.request("HEAD", "/v2/e2e/fsck/blobs/" + digest).status, 404u);
    push_blob(c, "e2e/fsck", data);  // expects 201
    auto get = c.request("GET", "/v2/e2e/fsck/blobs/" + digest);
    EXPECT_EQ(get.status, 200u);
    EXPECT_TRUE(get.body == data);
    EXPECT_EQ(server->stop(), 0);
  }
  FsckRun healed = fsck(scratch, flags);
  EXPECT_EQ(healed.status, 0) << healed.out << healed.err;
}

TEST(FsckBinary, UsageAndNotADataRootExitTwo) {
  TempDir empty;
  TempDir scratch;
  FsckRun none = fsck(scratch, "--root " + (empty.path() / "nothing").string());
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("not a cairn data root"), std::string::npos) << none.err;
  EXPECT_FALSE(std::filesystem::exists(empty.path() / "nothing"));  // never created
  EXPECT_EQ(fsck(scratch, "--frobnicate").status, 2);
  FsckRun help = fsck(scratch, "--help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--repair"), std::string::npos);
}

}  // namespace
}  // namespace cairn::testing
