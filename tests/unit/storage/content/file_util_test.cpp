#include "storage/content/file_util.h"

#include "tests/support/temp_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace cairn::content::file_util {
namespace {

using cairn::testing::TempDir;

TEST(FileUtil, AtomicWriteAndReadBack) {
  TempDir dir;
  auto p = dir.path() / "record";
  ASSERT_TRUE(write_file_atomic(posix_file_system(), p, "12345", true).has_value());
  ASSERT_TRUE(write_file_atomic(posix_file_system(), p, "678", false).has_value());  // replaces
  auto text = read_small_file(posix_file_system(), p, 16);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "678");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "record.tmp"));
  auto too_big = read_small_file(posix_file_system(), p, 2);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().code, Errc::io);
  auto missing = read_small_file(posix_file_system(), dir.path() / "nope", 16);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(missing.error().detail.find(dir.path().string()), std::string::npos)
      << "details must not leak paths";
}

TEST(FileUtil, WriteAllAndPreadFull) {
  TempDir dir;
  auto fd = open_file(posix_file_system(), dir.path() / "f", O_RDWR | O_CREAT, 0644, "create");
  ASSERT_TRUE(fd.has_value());
  std::string data(100'000, 'z');
  ASSERT_TRUE(write_all(posix_file_system(), fd->get(), std::as_bytes(std::span(data)), "write")
                  .has_value());
  std::vector<std::byte> buf(200'000);
  auto n = pread_full(posix_file_system(), fd->get(), buf, 0, "read");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 100'000u);
  n = pread_full(posix_file_system(), fd->get(), buf, 100'000, "read");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(sync_fd(posix_file_system(), fd->get(), "fsync").has_value());
  EXPECT_TRUE(sync_dir(posix_file_system(), dir.path()).has_value());
  EXPECT_FALSE(sync_dir(posix_file_system(), dir.path() / "absent").has_value());
}

TEST(FileUtil, UniqueFdClosesAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b = std::move(a);
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed
}

TEST(FileUtil, ParseInt64) {
  EXPECT_EQ(parse_int64("42").value(), 42);
  EXPECT_EQ(parse_int64("-7\n").value(), -7);
  EXPECT_EQ(parse_int64("1700000000000000000").value(), 1'700'000'000'000'000'000);
  for (const char* bad : {"", "\n", "x", "12x", " 1", "99999999999999999999"}) {
    auto r = parse_int64(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, Errc::internal);
  }
}

}  // namespace
}  // namespace cairn::content::file_util
