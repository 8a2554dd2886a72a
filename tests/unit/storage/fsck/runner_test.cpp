// The fsck runner (storage/fsck/runner.h): a requested check runs on the runner's thread, its
// report replaces the last, and each finding and each run's end are logged as JSON lines.
#include "storage/fsck/runner.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace cairn::fsck {
namespace {

TEST(RunnerTest, RequestedCheckRunsReportsAndLogs) {
  cairn::testing::TempDir dir;
  ManualClock clock;
  StorageOptions so;
  so.clock = &clock;
  auto storage = Storage::open(dir.path(), so).value();
  // A record without its file: one finding.
  const auto d = content::digest_of("gone");
  {
    auto w =
        storage->content().writer(metadata::Scope{"r", {}}, content::WriterOptions{"up", 4, d});
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write(std::string_view("gone")));
    ASSERT_TRUE((*w)->commit(4, d));
  }
  ASSERT_TRUE(storage->blobs().remove(d));

  std::mutex mu;
  std::vector<nlohmann::json> lines;
  RunnerOptions o;
  o.log = [&](const std::string& line) {
    std::lock_guard lock(mu);
    lines.push_back(nlohmann::json::parse(line));
  };
  Runner runner(*storage, o);
  EXPECT_FALSE(runner.report());
  auto started = runner.request(false);
  EXPECT_TRUE(started.started);
  EXPECT_EQ(started.report.state, Report::State::running);
  auto done = runner.wait_idle();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, Report::State::done);
  EXPECT_EQ(done->trigger, "admin");
  ASSERT_EQ(done->findings.size(), 1u);
  EXPECT_EQ(done->findings[0].kind, FindingKind::missing);

  std::lock_guard lock(mu);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["event"], "fsck_finding");
  EXPECT_EQ(lines[0]["kind"], "missing");
  EXPECT_EQ(lines[0]["digest"], d.str());
  EXPECT_EQ(lines[1]["event"], "fsck_done");
  EXPECT_EQ(lines[1]["state"], "done");
  EXPECT_EQ(lines[1]["findings"], 1);
}

}  // namespace
}  // namespace cairn::fsck
