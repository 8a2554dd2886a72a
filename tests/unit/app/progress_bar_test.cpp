#include "app/progress_bar.h"

#include <gtest/gtest.h>

#include <sstream>

namespace cairn::app {
namespace {

using namespace std::chrono_literals;

TEST(ProgressBarTest, FormatsEta) {
  EXPECT_EQ(format_eta(7s), "0:07");
  EXPECT_EQ(format_eta(754s), "12:34");
  EXPECT_EQ(format_eta(10921s), "3:02:01");
}

TEST(ProgressBarTest, RendersBarPercentRateAndEta) {
  std::ostringstream out;
  ProgressBar bar(
      out, true, "hashing", [] { return std::chrono::steady_clock::time_point{}; }, 10);
  EXPECT_EQ(bar.render(50 << 20, 100 << 20, 1s),
            "hashing [=====>    ]  50%  50.0 MiB / 100.0 MiB  50.0 MiB/s  ETA 0:01");
  EXPECT_EQ(bar.render(100, 100, 1s), "hashing [==========] 100%  100 B / 100 B  100 B/s");
  EXPECT_EQ(bar.render(0, 0, 0s), "hashing [==========] 100%  0 B / 0 B");
}

TEST(ProgressBarTest, PlainOutputWritesALinePerTenth) {
  std::ostringstream out;
  std::chrono::steady_clock::time_point t{};
  ProgressBar bar(out, false, "x", [&] { return t; });
  for (int i = 0; i <= 1000; ++i) {
    t += 1ms;
    bar.update(i, 1000);
  }
  bar.finish();
  std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 11) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(ProgressBarTest, TerminalRedrawsInPlaceAtMostTenTimesASecond) {
  std::ostringstream out;
  std::chrono::steady_clock::time_point t{};
  ProgressBar bar(out, true, "x", [&] { return t; });
  for (int i = 0; i <= 1000; ++i) {
    t += 1ms;  // one second in all
    bar.update(i, 1000);
  }
  bar.finish();
  std::string text = out.str();
  const auto draws = std::count(text.begin(), text.end(), '\r');
  EXPECT_GE(draws, 10);
  EXPECT_LE(draws, 12);
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressBarTest, AnUnknownTotalIsACountWithARateAndOffATerminalOneLine) {
  std::ostringstream out;
  std::chrono::steady_clock::time_point t{};
  ProgressBar bar(out, false, "gc listing", [&] { return t; });
  bar.count("files");
  EXPECT_EQ(bar.render(3000, -1, 2s), "gc listing  3000 files  1500 files/s");
  for (int i = 1; i <= 5000; ++i) {
    t += 1ms;
    bar.update(i, -1);
  }
  EXPECT_EQ(out.str(), "");  // nothing before the end
  bar.finish();
  EXPECT_EQ(out.str(), "gc listing  5000 files  1000 files/s\n");
}

TEST(ProgressBarTest, PhasedProgressDrawsOneBarPerPhase) {
  std::ostringstream out;
  PhasedProgress progress(out, false, "gc");
  progress({"listing", 1, -1});
  progress({"listing", 2, -1});
  progress({"removing", 0, 2048});
  progress({"removing", 2048, 2048});
  progress.finish();
  progress.finish();  // idempotent
  const std::string text = out.str();
  EXPECT_EQ(text.find("gc listing  2 files"), 0u) << text;
  EXPECT_NE(text.find("\ngc removing [========================] 100%  2.0 KiB / 2.0 KiB"),
            std::string::npos)
      << text;
  // listing: one line; removing: 0% and 100%.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
}

}  // namespace
}  // namespace cairn::app
