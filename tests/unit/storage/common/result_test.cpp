#include "storage/common/result.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <stdexcept>

namespace cairn {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0)
    return fail(Errc::invalid_argument, "odd");
  return x / 2;
}

TEST(Result, ValueOrError) {
  auto ok = half(4);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(bad.error() == Errc::invalid_argument);
  EXPECT_EQ(bad.error().detail, "odd");
  EXPECT_THROW((void)bad.value(), std::runtime_error);
}

TEST(Result, ErrcNames) {
  EXPECT_EQ(errc_name(Errc::not_found), "not_found");
  EXPECT_EQ(errc_name(Errc::digest_mismatch), "digest_mismatch");
  EXPECT_EQ(errc_name(Errc::internal), "internal");
}

TEST(Result, IoError) {
  Error e = io_error("write ingest data", EIO);
  EXPECT_EQ(e.code, Errc::io);
  // A full disk (or quota) has its own code, so handlers answer 507 rather than 500.
  EXPECT_EQ(io_error("write ingest data", ENOSPC).code, Errc::no_space);
  EXPECT_EQ(io_error("write ingest data", EDQUOT).code, Errc::no_space);
  EXPECT_NE(e.detail.find("write ingest data: "), std::string::npos);
  errno = EACCES;
  EXPECT_EQ(io_error("open").code, Errc::io);
}

}  // namespace
}  // namespace cairn
