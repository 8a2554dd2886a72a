#include "server/unexpected.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace cairn::server {
namespace {

TEST(Unexpected, LoggedReportsAndCountsAnExceptionThenCallsThen) {
  const uint64_t before = unexpected_exceptions();
  std::exception_ptr seen = std::make_exception_ptr(std::logic_error("not yet called"));
  auto handler = logged("a test coroutine", [&](std::exception_ptr e) { seen = e; });

  handler(nullptr);  // the coroutine returned
  EXPECT_EQ(seen, nullptr);
  EXPECT_EQ(unexpected_exceptions(), before);

  ::testing::internal::CaptureStderr();
  handler(std::make_exception_ptr(std::runtime_error("boom")));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "cairn: a test coroutine ended by an unexpected exception: boom\n");
  EXPECT_EQ(unexpected_exceptions(), before + 1);
  ASSERT_NE(seen, nullptr);
  EXPECT_THROW(std::rethrow_exception(seen), std::runtime_error);
}

TEST(Unexpected, ANonStandardExceptionIsReportedToo) {
  const uint64_t before = unexpected_exceptions();
  ::testing::internal::CaptureStderr();
  logged("a thrower of ints")(std::make_exception_ptr(42));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "cairn: a thrower of ints ended by an unexpected exception: unknown exception\n");
  EXPECT_EQ(unexpected_exceptions(), before + 1);
}

}  // namespace
}  // namespace cairn::server
