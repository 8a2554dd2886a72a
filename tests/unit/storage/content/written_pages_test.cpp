// WrittenPages: the page-cache budget for what writers wrote last.
#include "storage/content/written_pages.h"

#include "tests/support/page_cache.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace cairn::content {
namespace {

using cairn::testing::dropping_works;
using cairn::testing::resident_fraction;
using cairn::testing::TempDir;

constexpr int64_t kMiB = 1 << 20;

// Writes `size` bytes to `path` and makes them durable, so their pages are cached and clean.
void write_file(const std::filesystem::path& path, int64_t size) {
  {
    std::ofstream out(path, std::ios::binary);
    const std::string block(kMiB, 'w');
    for (int64_t done = 0; done < size; done += kMiB)
      out.write(block.data(), static_cast<std::streamsize>(std::min(kMiB, size - done)));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fsync(fd), 0);
  ::close(fd);
}

TEST(WrittenPages, KeepsTheNewestRangesWithinTheBudget) {
  TempDir dir;
  const auto a = dir.path() / "a";
  const auto b = dir.path() / "b";
  write_file(a, 4 * kMiB);
  write_file(b, kMiB);
  const bool observable = dropping_works(dir.path());
  if (observable) {  // just written: cached, or nothing below could show a drop
    ASSERT_GT(resident_fraction(a, 0, 4 * kMiB), 0.9);
    ASSERT_GT(resident_fraction(b, 0, kMiB), 0.9);
  }
  WrittenPages pages(2 * kMiB);
  EXPECT_EQ(pages.budget(), 2 * kMiB);

  pages.add(a, 0, kMiB);
  EXPECT_EQ(pages.kept(), kMiB);
  // Over budget by 2 MiB: [0, 1 MiB) goes whole, this range is cut at the 2 MiB boundary.
  pages.add(a, kMiB, 3 * kMiB);
  EXPECT_EQ(pages.kept(), 2 * kMiB);
  pages.add(b, 0, 0);  // nothing written: nothing changes
  EXPECT_EQ(pages.kept(), 2 * kMiB);
  if (observable) {
    EXPECT_LT(resident_fraction(a, 0, 2 * kMiB), 0.1);
    EXPECT_GT(resident_fraction(a, 2 * kMiB, 2 * kMiB), 0.9);
  }
  // Over by 1 MiB: a cut of a's [2, 4) would fall inside the 2 MiB folio at 2, so all of it goes.
  pages.add(b, 0, kMiB);
  EXPECT_EQ(pages.kept(), kMiB);
  if (!observable)
    GTEST_SKIP() << "the temp dir is on tmpfs: its pages cannot be dropped";
  EXPECT_LT(resident_fraction(a, 0, 4 * kMiB), 0.1);
  EXPECT_GT(resident_fraction(b, 0, kMiB), 0.9);
}

TEST(WrittenPages, RangesFollowARenamedFile) {
  TempDir dir;
  const auto ingest = dir.path() / "ingest";
  const auto blob = dir.path() / "blob";
  write_file(ingest, 2 * kMiB);
  WrittenPages pages(2 * kMiB);
  pages.add(ingest, 0, 2 * kMiB);
  std::filesystem::rename(ingest, blob);
  pages.rename(ingest, blob);
  pages.add(dir.path() / "other", 0, 2 * kMiB);  // pushes the renamed file's range out
  EXPECT_EQ(pages.kept(), 2 * kMiB);
  if (!dropping_works(dir.path()))
    GTEST_SKIP() << "the temp dir is on tmpfs: its pages cannot be dropped";
  EXPECT_LT(resident_fraction(blob, 0, 2 * kMiB), 0.1);
}

TEST(WrittenPages, AZeroBudgetDropsAtOnceAndAMissingFileIsSkipped) {
  TempDir dir;
  const auto a = dir.path() / "a";
  write_file(a, 2 * kMiB);
  WrittenPages pages(0);
  pages.add(dir.path() / "gone", 0, kMiB);  // removed before its range aged out: nothing to do
  pages.add(a, 0, 2 * kMiB);
  EXPECT_EQ(pages.kept(), 0);
  if (!dropping_works(dir.path()))
    GTEST_SKIP() << "the temp dir is on tmpfs: its pages cannot be dropped";
  const double resident = resident_fraction(a, 0, 2 * kMiB);
  EXPECT_GE(resident, 0);
  EXPECT_LT(resident, 0.1);
}

TEST(WrittenPages, TheDefaultBudgetIsAtMostOneGiB) {
  const int64_t budget = default_written_pages_budget();
  EXPECT_GT(budget, 0);
  EXPECT_LE(budget, int64_t{1} << 30);
}

}  // namespace
}  // namespace cairn::content
